/// A JSON value as `JSONReader` reads it, keeping apart what
/// JSONSerialization blurs on Linux (there `1 is Bool` holds and `1.0`
/// bridges to Int): `true` is not 1, and `1.5` or `1e3` are not integers.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent, within Int64.
    case integer(Int64)
    /// Any other number: with a fraction or exponent, or past Int64.
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in the order written.
    case object([JSONMember])
}

public struct JSONMember: Equatable, Sendable {
    public let name: String
    public let value: JSONValue

    public init(name: String, value: JSONValue) {
        self.name = name
        self.value = value
    }
}

/// A line of input that is not the JSON expected, or a field of the wrong
/// type or range; the description names the field or the byte.
public struct JSONInputError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Reads one JSON object (RFC 8259) from bytes: strictly, so a line is
/// taken as written or refused. A name given twice in an object is refused
/// rather than resolved (JSONSerialization keeps the last), nesting stops at
/// 64 levels so no input can exhaust the stack, and strings must be UTF-8.
public enum JSONReader {
    public static let maximumDepth = 64

    /// The members of the object `bytes` hold, with nothing else around it
    /// but whitespace.
    public static func object(_ bytes: [UInt8]) throws -> [JSONMember] {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(bytes: buffer)
            parser.skipWhitespace()
            guard parser.peek == UInt8(ascii: "{") else { throw JSONInputError("not a JSON object") }
            let members = try parser.members(depth: 0)
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw parser.error("more after the object") }
            return members
        }
    }

    /// Any one JSON value, with nothing else around it but whitespace.
    public static func value(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(bytes: buffer)
            parser.skipWhitespace()
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw parser.error("more after the value") }
            return value
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        func error(_ what: String) -> JSONInputError {
            JSONInputError("invalid JSON at byte \(index + 1): \(what)")
        }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ literal: StaticString, _ value: JSONValue) throws -> JSONValue {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count,
                  UnsafeBufferPointer(start: literal.utf8Start, count: count).elementsEqual(bytes[index..<index + count])
            else { throw error("expected a value") }
            index += count
            return value
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < JSONReader.maximumDepth else { throw error("nested deeper than \(JSONReader.maximumDepth) levels") }
            skipWhitespace()
            guard let byte = peek else { throw error("the line ends where a value belongs") }
            switch byte {
            case UInt8(ascii: "{"): return .object(try members(depth: depth))
            case UInt8(ascii: "["): return .array(try elements(depth: depth))
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("expected a value")
            }
        }

        mutating func members(depth: Int) throws -> [JSONMember] {
            index += 1
            var members: [JSONMember] = []
            // Names seen, hashed only for large objects: comparing a dozen
            // names costs less than hashing them, and a hash keeps a line of
            // 100,000 names from taking quadratic time.
            var names = Set<String>()
            skipWhitespace()
            if peek == UInt8(ascii: "}") { index += 1; return members }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw error("expected a name in quotes") }
                let name = try string()
                if members.count == 16 { names = Set(members.map(\.name)) }
                let isDuplicate = members.count < 16 ? members.contains { $0.name == name } : !names.insert(name).inserted
                guard !isDuplicate else { throw JSONInputError("field '\(name)' is given twice") }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw error("expected ':'") }
                index += 1
                members.append(JSONMember(name: name, value: try value(depth: depth + 1)))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"): index += 1; return members
                default: throw error("expected ',' or '}'")
                }
            }
        }

        mutating func elements(depth: Int) throws -> [JSONValue] {
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") { index += 1; return elements }
            while true {
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"): index += 1; return elements
                default: throw error("expected ',' or ']'")
                }
            }
        }

        mutating func string() throws -> String {
            index += 1
            let start = index
            // Most strings have no escapes, and most are ASCII: those are
            // taken straight from the input, with no UTF-8 validation to do.
            var isASCII = true
            while let byte = peek, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 {
                isASCII = isASCII && byte < 0x80
                index += 1
            }
            let text: String?
            if peek == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
                text = isASCII ? String(decoding: raw, as: UTF8.self) : String(validating: raw, as: UTF8.self)
            } else {
                var unescaped = Array(bytes[start..<index])
                try unescape(into: &unescaped)
                text = String(validating: unescaped, as: UTF8.self)
            }
            guard let text else { throw JSONInputError("invalid JSON: a string is not UTF-8") }
            index += 1
            return text
        }

        /// The rest of a string from its first escape or control byte, up to
        /// (not past) the closing quote.
        mutating func unescape(into output: inout [UInt8]) throws {
            while true {
                guard let byte = peek else { throw error("a string is not closed") }
                switch byte {
                case UInt8(ascii: "\""): return
                case 0..<0x20: throw error("a control character in a string must be escaped")
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let escaped = peek else { throw error("a string is not closed") }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escaped)
                    case UInt8(ascii: "b"): output.append(0x08)
                    case UInt8(ascii: "f"): output.append(0x0C)
                    case UInt8(ascii: "n"): output.append(0x0A)
                    case UInt8(ascii: "r"): output.append(0x0D)
                    case UInt8(ascii: "t"): output.append(0x09)
                    case UInt8(ascii: "u"): output.append(contentsOf: Array(String(try unicodeEscape()).utf8))
                    default: index -= 1; throw error("unknown escape")
                    }
                default:
                    output.append(byte)
                    index += 1
                }
            }
        }

        /// `\uXXXX`, its `u` read, with a second `\uXXXX` for a surrogate pair.
        mutating func unicodeEscape() throws -> Unicode.Scalar {
            let first = try hex4()
            if (0xD800..<0xDC00).contains(first) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw error("a lone surrogate in \\u escapes")
                }
                index += 2
                let second = try hex4()
                guard (0xDC00..<0xE000).contains(second) else { throw error("a lone surrogate in \\u escapes") }
                return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(first) else { throw error("a lone surrogate in \\u escapes") }
            return scalar
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("\\u needs four hex digits") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = Character(Unicode.Scalar(bytes[index])).hexDigitValue else { throw error("\\u needs four hex digits") }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        mutating func number() throws -> JSONValue {
            let start = index
            func digits() -> Int {
                let first = index
                while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
                return index - first
            }
            if peek == UInt8(ascii: "-") { index += 1 }
            let integerStart = index
            guard digits() > 0 else { throw error("expected digits") }
            guard bytes[integerStart] != UInt8(ascii: "0") || index == integerStart + 1 else { throw error("a number with a leading zero") }
            var isInteger = true
            if peek == UInt8(ascii: ".") {
                index += 1
                isInteger = false
                guard digits() > 0 else { throw error("expected digits after '.'") }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                isInteger = false
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw error("expected digits in the exponent") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger, let integer = Int64(text) { return .integer(integer) }
            // Double reads all of JSON's number grammar; past its range it gives infinity, never nil.
            return .number(Double(text)!)
        }
    }
}

extension JSONMember {
    public func string() throws -> String {
        guard case .string(let text) = value else { throw JSONInputError("\"\(name)\" must be a string") }
        return text
    }

    /// An integer (no fraction, no exponent, not a boolean) within `range`.
    public func integer(in range: ClosedRange<Int64>) throws -> Int64 {
        guard case .integer(let integer) = value, range.contains(integer) else {
            throw JSONInputError("\"\(name)\" must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return integer
    }

    public func stringObject() throws -> [String: String] {
        guard case .object(let members) = value else { throw JSONInputError("\"\(name)\" must be an object of strings") }
        var object: [String: String] = [:]
        for member in members {
            guard case .string(let text) = member.value else { throw JSONInputError("\"\(name)\" must be an object of strings") }
            object[member.name] = text
        }
        return object
    }

    /// A time: a string as on the command line (`TimeValue`), or a number of
    /// epoch seconds by the same rule as a bare number there.
    public func time() throws -> TimeValue {
        switch value {
        case .string(let text): return try TimeValue(parsing: text)
        case .integer(let seconds): return try TimeValue(epochSeconds: seconds)
        default: throw JSONInputError("\"\(name)\" must be a time: a string (RFC 3339, +DURATION) or an integer of epoch seconds")
        }
    }
}
