import MQParsing

/// What a key in the dashboard does to messages or a queue: an mqctl
/// command line, counted first with its `--dry-run` when it has one, then
/// asked about, then run with `--yes` (the dashboard asked already).
struct TopAction {
    /// "Replay", "Delete": the question's verb.
    let verb: String
    /// What it acts on, in the plural: "dead letters"; nil for the queue itself.
    let noun: String?
    let queue: String
    /// The selected message, or none for every one (matching the filter).
    let ids: [String]
    let filtered: Bool
    let words: [String]
    /// What the dry run counted.
    var count: Int64?

    var countsFirst: Bool { noun != nil }

    var question: String {
        guard let noun else { return "\(verb) queue '\(queue)'? [y/N]" }
        if let id = ids.first { return "\(verb) \(noun.dropLast()) \(id) of '\(queue)'? [y/N]" }
        let counted = count.map { "\($0) " + ($0 == 1 ? String(noun.dropLast()) : noun) } ?? noun
        return "\(verb) \(counted) of '\(queue)'\(filtered ? " matching the filter" : "")? [y/N]"
    }

    /// How many messages the dry run says would change; nil when it failed.
    static func count(_ outcome: TopCommands.Outcome) -> Int64? {
        outcome.json?["would_move"]?.integerValue ?? outcome.json?["would_delete"]?.integerValue
    }

    /// The command's own report in a line: "moved 3, not_found 0".
    static func summary(_ outcome: TopCommands.Outcome) -> String {
        guard case .object(let members)? = outcome.json else { return "done" }
        return members.compactMap { member -> String? in
            switch member.value {
            case .integer(let number): "\(member.name) \(number)"
            case .bool(let flag) where member.name != "dry_run": "\(member.name) \(flag)"
            default: nil
            }
        }.joined(separator: ", ")
    }

    /// The messages chosen: the ids, else the filter's options, else `--all`.
    private static func chosen(_ ids: [String], _ filter: [String]) -> [String] {
        !ids.isEmpty ? ids : !filter.isEmpty ? filter : ["--all"]
    }

    static func replay(_ queue: String, ids: [String], filter: [String]) -> TopAction {
        TopAction(verb: "Replay", noun: "dead letters", queue: queue, ids: ids, filtered: ids.isEmpty && !filter.isEmpty,
                  words: ["dlq", "replay", queue] + chosen(ids, filter))
    }

    static func purge(_ queue: String, ids: [String], filter: [String]) -> TopAction {
        TopAction(verb: "Delete", noun: "dead letters", queue: queue, ids: ids, filtered: ids.isEmpty && !filter.isEmpty,
                  words: ["dlq", "purge", queue] + chosen(ids, filter))
    }

    /// `delayed run-now` takes ids only; `retry run-now` also `--all`.
    static func runNow(_ queue: String, tab: TopQueueView.Tab, ids: [String]) -> TopAction {
        let set = tab == .delayed ? "delayed" : "retry"
        return TopAction(verb: "Run now", noun: "\(set) messages", queue: queue, ids: ids, filtered: false,
                         words: [set, "run-now", queue] + chosen(ids, []))
    }

    static func kill(_ queue: String, ids: [String]) -> TopAction {
        TopAction(verb: "Move to dead", noun: "retry messages", queue: queue, ids: ids, filtered: false,
                  words: ["retry", "kill", queue] + chosen(ids, []))
    }

    static func pause(_ queue: String, paused: Bool) -> TopAction {
        TopAction(verb: paused ? "Resume" : "Pause", noun: nil, queue: queue, ids: [], filtered: false,
                  words: ["queues", paused ? "resume" : "pause", queue])
    }
}
