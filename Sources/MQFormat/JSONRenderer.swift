import Foundation

/// JSON: one object, or `{"KEY": [rows...]}` written row by row. NDJSON:
/// one object per line, the list key left out.
final class JSONRenderer: Renderer {
    private let sink: OutputSink
    private let lines: Bool
    private var rowsWritten = 0

    init(sink: OutputSink, lines: Bool) {
        self.sink = sink
        self.lines = lines
    }

    func single(_ record: Record) {
        sink.write(Self.encode(.object(record)) + "\n")
    }

    func beginList(key: String, columns: [Column]) {
        rowsWritten = 0
        if !lines { sink.write("{\(Self.quote(key)):[") }
    }

    func row(_ record: Record) {
        if lines {
            sink.write(Self.encode(.object(record)) + "\n")
        } else {
            sink.write((rowsWritten == 0 ? "\n" : ",\n") + Self.encode(.object(record)))
        }
        rowsWritten += 1
    }

    func endList(_ trailer: Record) {
        guard !lines else { return }
        sink.write(rowsWritten == 0 ? "]" : "\n]")
        for field in trailer.fields {
            sink.write(",\(Self.quote(field.name)):\(Self.encode(field.value))")
        }
        sink.write("}\n")
    }

    static func encode(_ value: FieldValue) -> String {
        switch value {
        case .string(let text): return quote(text)
        case .int(let number): return String(number)
        case .double(let number): return number.isFinite ? String(number) : "null"
        case .seconds(let seconds): return seconds.isFinite ? microseconds(seconds) : "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .time(let ms): return quote(TimeText.rfc3339(ms))
        case .null: return "null"
        case .list(let items): return "[" + items.map(encode).joined(separator: ",") + "]"
        case .object(let record):
            return "{" + record.fields.map { quote($0.name) + ":" + encode($0.value) }.joined(separator: ",") + "}"
        }
    }

    /// Seconds to the microsecond, without an exponent: `0.000031`, `12.5`.
    static func microseconds(_ seconds: Double) -> String {
        var text = String(format: "%.6f", seconds)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    static func quote(_ text: String) -> String {
        JSONText.quote(text)
    }
}
