import FoundationEssentials
import Glibc

/// CSV (RFC 4180): a header row of field names, then one row per record;
/// nested objects spread into `parent.child` columns. A list carries the
/// same fields as JSON: those of its first row (the columns a table shows
/// head an empty list), each row's cells under them.
final class CSVRenderer: Renderer {
    private let sink: OutputSink
    private var columns: [String] = []
    private var headerWritten = false

    init(sink: OutputSink) {
        self.sink = sink
    }

    func single(_ record: Record) {
        let fields = record.flattened
        writeLine(fields.map(\.name))
        writeLine(fields.map { Self.text($0.value) })
    }

    func beginList(key: String, columns: [Column]) {
        self.columns = columns.map(\.name)
        headerWritten = false
    }

    func row(_ record: Record) {
        let fields = record.flattened
        if !headerWritten {
            let named = Set(fields.map(\.name))
            columns = fields.map(\.name) + columns.filter { !named.contains($0) }
            writeLine(columns)
            headerWritten = true
        }
        writeLine(columns.map { name in
            fields.first { $0.name == name }.map { Self.text($0.value) } ?? ""
        })
    }

    func endList(_ trailer: Record) {
        if !headerWritten { writeLine(columns) }
    }

    private func writeLine(_ cells: [String]) {
        sink.write(cells.map(Self.escape).joined(separator: ",") + "\r\n")
    }

    /// Machine-readable cell text: numbers as is, times in RFC 3339,
    /// durations in seconds, lists as JSON.
    static func text(_ value: FieldValue) -> String {
        switch value {
        case .string(let text): return text
        case .null: return ""
        case .time(let ms): return TimeText.rfc3339(ms)
        default: return JSONRenderer.encode(value)
        }
    }

    static func escape(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingLiteral("\"", with: "\"\"") + "\""
    }
}
