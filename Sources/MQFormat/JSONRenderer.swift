import FoundationEssentials
import Glibc

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
        var out: [UInt8] = []
        out.reserveCapacity(512)
        if lines {
            out.append(contentsOf: prefix.utf8)
            Self.write(.object(record), into: &out)
            out.append(UInt8(ascii: "\n"))
        } else {
            if rowsWritten > 0 { out.append(UInt8(ascii: ",")) }
            if !wholeLists { out.append(UInt8(ascii: "\n")) }
            Self.write(.object(record), into: &out)
        }
        sink.write(out)
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
        var out: [UInt8] = []
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `value` as JSON bytes: one growing buffer, no intermediate
    /// strings (a stats row of 1,000 queues is rendered a thousand times).
    static func write(_ value: FieldValue, into out: inout [UInt8]) {
        switch value {
        case .string(let text): JSONText.appendQuoted(text, to: &out)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number): out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
        case .seconds(let seconds): out.append(contentsOf: (seconds.isFinite ? microseconds(seconds) : "null").utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .time(let ms): JSONText.appendQuoted(TimeText.rfc3339(ms), to: &out)
        case .null: out.append(contentsOf: "null".utf8)
        case .list(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let record):
            out.append(UInt8(ascii: "{"))
            for (index, field) in record.fields.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(field.name, to: &out)
                out.append(UInt8(ascii: ":"))
                write(field.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
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
