import Foundation

/// JSON: one object, or `{"KEY": [rows...]}` written row by row. NDJSON:
/// one object per line, the list key left out; JSON text sequences (RFC
/// 7464, `json-seq`): the same, each object after a record separator.
/// `wholeLists` writes a list as one document on one line (`--watch`
/// in ndjson and json-seq: one record per draw).
final class JSONRenderer: Renderer {
    private let sink: OutputSink
    private let lines: Bool
    private let prefix: String
    private let wholeLists: Bool
    private var rowsWritten = 0

    init(sink: OutputSink, lines: Bool, sequence: Bool = false, wholeLists: Bool = false) {
        self.sink = sink
        self.lines = lines && !wholeLists
        self.prefix = sequence ? "\u{1E}" : ""
        self.wholeLists = wholeLists
    }

    func single(_ record: Record) {
        sink.write(prefix + Self.encode(.object(record)) + "\n")
    }

    func beginList(key: String, columns: [Column]) {
        rowsWritten = 0
        if !lines { sink.write(prefix + "{\(Self.quote(key)):[") }
    }

    func row(_ record: Record) {
        if lines {
            sink.write(prefix + Self.encode(.object(record)) + "\n")
        } else {
            sink.write((rowsWritten == 0 ? "" : ",") + (wholeLists ? "" : "\n") + Self.encode(.object(record)))
        }
        rowsWritten += 1
    }

    func endList(_ trailer: Record) {
        guard !lines else { return }
        sink.write(rowsWritten == 0 || wholeLists ? "]" : "\n]")
        for field in trailer.fields {
            sink.write(",\(Self.quote(field.name)):\(Self.encode(field.value))")
        }
        sink.write("}\n")
    }

    static func encode(_ value: FieldValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    /// Appends `value` as JSON: one growing string, no intermediate pieces
    /// (a stats row of 1,000 queues is rendered a thousand times).
    static func write(_ value: FieldValue, into out: inout String) {
        switch value {
        case .string(let text): out += JSONText.quote(text)
        case .int(let number): out += String(number)
        case .double(let number): out += number.isFinite ? String(number) : "null"
        case .seconds(let seconds): out += seconds.isFinite ? microseconds(seconds) : "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .time(let ms): out += JSONText.quote(TimeText.rfc3339(ms))
        case .null: out += "null"
        case .list(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let record):
            out += "{"
            for (index, field) in record.fields.enumerated() {
                if index > 0 { out += "," }
                out += JSONText.quote(field.name)
                out += ":"
                write(field.value, into: &out)
            }
            out += "}"
        }
    }

    /// Seconds to the microsecond, without an exponent: `0.000031`, `12.5`.
    static func microseconds(_ seconds: Double) -> String {
        let total = Int64((seconds * 1_000_000).rounded())
        let magnitude = total.magnitude
        var text = (total < 0 ? "-" : "") + String(magnitude / 1_000_000)
        var fraction = magnitude % 1_000_000
        if fraction > 0 {
            var digits = 6
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            let written = String(fraction)
            text += "." + String(repeating: "0", count: digits - written.count) + written
        }
        return text
    }

    static func quote(_ text: String) -> String {
        JSONText.quote(text)
    }
}

extension FieldValue {
    /// The value as JSON text, as `-o json` writes it (times RFC 3339 with
    /// milliseconds, durations seconds).
    public var jsonText: String { JSONRenderer.encode(self) }
}
