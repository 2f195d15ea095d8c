import FoundationEssentials
import Glibc
import MQParsing

/// JSON values as Python sees them, for the frameworks that store Python
/// objects: `pickle` (RQ's job data), `repr` (RQ's description, Celery's
/// argsrepr). JSON maps onto Python's None, bool, int, float, str, list
/// and dict; a call's positional arguments are a tuple.
enum Python {
    /// Pickle protocol 2 of a tuple of `items` (pickle.loads reads every
    /// protocol; 2 has all the opcodes needed and no framing).
    static func pickle(tuple items: [PickleItem]) -> [UInt8] {
        var out: [UInt8] = [0x80, 2]
        appendTuple(items, to: &out)
        out.append(UInt8(ascii: "."))
        return out
    }

    /// One element of a pickled tuple: a JSON value, a tuple of values (a
    /// call's args), or None.
    enum PickleItem {
        case value(JSONValue)
        case tuple([JSONValue])
    }

    private static func appendTuple(_ items: [PickleItem], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "("))
        for item in items {
            switch item {
            case .value(let value): append(value, to: &out)
            case .tuple(let values): appendTuple(values.map { .value($0) }, to: &out)
            }
        }
        out.append(UInt8(ascii: "t"))
    }

    private static func append(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(UInt8(ascii: "N"))
        case .bool(let flag): out.append(flag ? 0x88 : 0x89)
        case .integer(let n) where (0...0xFF).contains(n): out += [UInt8(ascii: "K"), UInt8(n)]
        case .integer(let n) where (0...0xFFFF).contains(n): out += [UInt8(ascii: "M")] + littleEndian(UInt64(n), bytes: 2)
        case .integer(let n) where (Int64(Int32.min)...Int64(Int32.max)).contains(n):
            out += [UInt8(ascii: "J")] + littleEndian(UInt64(bitPattern: n), bytes: 4)
        case .integer(let n):
            // LONG1: n bytes of two's complement, little-endian.
            out += [0x8A, 8] + littleEndian(UInt64(bitPattern: n), bytes: 8)
        case .number(let x):
            out.append(UInt8(ascii: "G"))
            out += littleEndian(x.bitPattern, bytes: 8).reversed()
        case .string(let text):
            let bytes = Array(text.utf8)
            out += [UInt8(ascii: "X")] + littleEndian(UInt64(bytes.count), bytes: 4) + bytes
        case .array(let values):
            out.append(UInt8(ascii: "]"))
            guard !values.isEmpty else { return }
            out.append(UInt8(ascii: "("))
            for value in values { append(value, to: &out) }
            out.append(UInt8(ascii: "e"))
        case .object(let members):
            out.append(UInt8(ascii: "}"))
            guard !members.isEmpty else { return }
            out.append(UInt8(ascii: "("))
            for member in members {
                append(.string(member.name), to: &out)
                append(member.value, to: &out)
            }
            out.append(UInt8(ascii: "u"))
        }
    }

    private static func littleEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    /// A call's positional and keyword arguments as a JSON payload names
    /// them (`"args": [...]`, `"kwargs": {...}`, both optional).
    static func callArguments(args: JSONValue?, kwargs: JSONValue?, fail: (String) -> Error) throws -> ([JSONValue], [JSONMember]) {
        let positional: [JSONValue]
        switch args {
        case nil: positional = []
        case .array(let values)?: positional = values
        default: throw fail("\"args\" must be a list")
        }
        let keywords: [JSONMember]
        switch kwargs {
        case nil: keywords = []
        case .object(let members)?: keywords = members
        default: throw fail("\"kwargs\" must be an object")
        }
        return (positional, keywords)
    }

    /// What Python's repr() prints for the value (close enough for the
    /// descriptions frameworks show; floats print as Swift prints them).
    static func repr(_ value: JSONValue) -> String {
        switch value {
        case .null: "None"
        case .bool(let flag): flag ? "True" : "False"
        case .integer(let n): String(n)
        case .number(let x): x.isFinite ? String(x) : (x.isNaN ? "nan" : x > 0 ? "inf" : "-inf")
        case .string(let text): repr(text)
        case .array(let values): "[" + values.map(repr).joined(separator: ", ") + "]"
        case .object(let members): "{" + members.map { repr($0.name) + ": " + repr($0.value) }.joined(separator: ", ") + "}"
        }
    }

    /// repr() of a tuple: `(1,)` for one element.
    static func repr(tuple values: [JSONValue]) -> String {
        values.count == 1 ? "(\(repr(values[0])),)" : "(" + values.map(repr).joined(separator: ", ") + ")"
    }

    private static func repr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where Character(scalar) == quote: out += "\\" + String(quote)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\\x" + String(printf: "%02x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + String(quote)
    }
}
