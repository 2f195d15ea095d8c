import MQFormat

/// The ids a bulk write refused because a message with that id is there
/// already. An import of a file imported before refuses every id, so
/// stderr names only the first few and counts the rest; the JSON output
/// carries the whole list (`existing_ids`).
struct ExistingIDs {
    static let named = 5

    private(set) var ids: [String] = []

    mutating func append(_ id: String) { ids.append(id) }

    /// `mqctl: error: message 'X' already exists in 'orders'; not imported`
    /// for the first few, then one line for the rest.
    func report(to context: CommandContext, queue: String, verb: String) {
        for id in ids.prefix(Self.named) {
            context.stderr.write("mqctl: error: message '\(id)' already exists in '\(queue)'; not \(verb)\n")
        }
        guard ids.count > Self.named else { return }
        let more = ids.count - Self.named
        context.stderr.write("mqctl: error: \(BulkReport.grouped(more)) more ids already exist in '\(queue)' and were not \(verb) (\(BulkReport.grouped(ids.count)) in all; --json lists them)\n")
    }

    /// The output field, only for formats that are documents; a table has
    /// the count.
    func field(for context: CommandContext) -> [(name: String, value: FieldValue)] {
        context.format.isTable || ids.isEmpty ? [] : [("existing_ids", .list(ids.map(FieldValue.string)))]
    }
}
