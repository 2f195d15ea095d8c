/// A TOML value with the 1-based line it starts on.
public struct TOMLValue: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        /// Also inf and nan; a NaN, being a Double, is not equal to itself.
        case float(Double)
        case boolean(Bool)
        /// A static array or an array of tables (`[[name]]`).
        case array([TOMLValue])
        /// A table from a header, dotted keys or an inline table.
        case table(TOMLTable)
    }

    public let kind: Kind
    public let line: Int

    public init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    public var string: String? { if case .string(let value) = kind { value } else { nil } }
    public var integer: Int64? { if case .integer(let value) = kind { value } else { nil } }
    /// Only a float: an integer stays an integer, as the file wrote it.
    public var float: Double? { if case .float(let value) = kind { value } else { nil } }
    public var boolean: Bool? { if case .boolean(let value) = kind { value } else { nil } }
    public var array: [TOMLValue]? { if case .array(let value) = kind { value } else { nil } }
    public var table: TOMLTable? { if case .table(let value) = kind { value } else { nil } }
}

/// A table: keys in the order the document first names them.
public struct TOMLTable: Sendable, Equatable {
    /// The keys in document order.
    public private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]
    /// The line of its header, inline table or first dotted key that made it; 1 for the root.
    public let line: Int

    public init(line: Int = 1) {
        self.line = line
    }

    public subscript(key: String) -> TOMLValue? { values[key] }

    public var count: Int { keys.count }

    /// Sets `key`, adding it after the others when new.
    public mutating func updateValue(_ value: TOMLValue, forKey key: String) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }
}

/// Where and why a document is not TOML (or uses what this reader refuses).
public struct TOMLError: Error, Equatable, CustomStringConvertible {
    /// 1-based line.
    public let line: Int
    /// 1-based byte column in the line.
    public let column: Int
    public let message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(line):\(column): \(message)" }
}

/// Reads TOML 1.0 strictly, without Foundation: every rule of the
/// specification is enforced except that dates and times are refused (the
/// config file has none; quoting one makes it a string). A leading byte
/// order mark is skipped and CRLF inside multi-line strings reads as LF.
/// Arrays and inline tables nest at most `maximumDepth` levels and keys have
/// at most `maximumKeyParts` parts, so no input can exhaust the stack.
public enum TOMLReader {
    public static let maximumDepth = 64
    public static let maximumKeyParts = 64

    /// The root table of `text`, or the first place it is not valid.
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var parser = TOMLParser(bytes: Array(text.utf8))
        return try parser.document()
    }
}

// MARK: - Tables under construction

/// How a table came to exist, which decides what may still add to it.
private enum TableOrigin {
    /// Made as the parent of a header (`a` for `[a.b]`); a later `[a]` may still define it.
    case implicit
    /// Defined by its own `[header]` (or `[[header]]`, or the root).
    case header
    /// Made by a dotted key (`a.b = 1` makes `a`); only more dotted keys of its section may add to it.
    case dotted
}

private final class TableBuilder {
    var keys: [String] = []
    var entries: [String: TableEntry] = [:]
    var line: Int
    var origin: TableOrigin

    init(line: Int, origin: TableOrigin) {
        self.line = line
        self.origin = origin
    }

    func add(_ key: String, _ entry: TableEntry) {
        keys.append(key)
        entries[key] = entry
    }

    func build() -> TOMLTable {
        var table = TOMLTable(line: line)
        for key in keys {
            if let entry = entries[key] { table.updateValue(entry.build(), forKey: key) }
        }
        return table
    }
}

private final class TableArrayBuilder {
    var tables: [TableBuilder]
    var last: TableBuilder
    let line: Int

    init(first: TableBuilder) {
        tables = [first]
        last = first
        line = first.line
    }

    func append(_ table: TableBuilder) {
        tables.append(table)
        last = table
    }
}

private enum TableEntry {
    /// A finished value; an inline table or static array is one, so nothing can extend it.
    case value(TOMLValue)
    case table(TableBuilder)
    case tableArray(TableArrayBuilder)

    var line: Int {
        switch self {
        case .value(let value): value.line
        case .table(let table): table.line
        case .tableArray(let array): array.line
        }
    }

    func build() -> TOMLValue {
        switch self {
        case .value(let value): value
        case .table(let table): TOMLValue(.table(table.build()), line: table.line)
        case .tableArray(let array):
            TOMLValue(.array(array.tables.map { TOMLValue(.table($0.build()), line: $0.line) }), line: array.line)
        }
    }
}

private struct KeyPart {
    let name: String
    let offset: Int
}

// MARK: - Parser

private struct TOMLParser {
    let bytes: [UInt8]
    var index = 0
    /// The byte offset of each line's start, for turning offsets into lines and columns.
    let lineStarts: [Int]
    let root = TableBuilder(line: 1, origin: .header)
    /// The table key/value lines go into: the root, then the last header's.
    var current: TableBuilder

    init(bytes: [UInt8]) {
        self.bytes = bytes
        current = root
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { starts.append(offset + 1) }
        lineStarts = starts
        // Some editors start UTF-8 files with a byte order mark; it is not content.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    // MARK: Positions and messages

    func peek(_ ahead: Int = 0) -> UInt8? {
        index + ahead < bytes.count ? bytes[index + ahead] : nil
    }

    func position(of offset: Int) -> (line: Int, column: Int) {
        var low = 0, high = lineStarts.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle }
        }
        return (low + 1, offset - lineStarts[low] + 1)
    }

    func line(of offset: Int) -> Int { position(of: offset).line }

    func error(_ message: String, at offset: Int? = nil) -> TOMLError {
        let (line, column) = position(of: offset ?? index)
        return TOMLError(line: line, column: column, message: message)
    }

    /// What is at `offset`, for "found …" in messages.
    func describe(_ offset: Int? = nil) -> String {
        let offset = offset ?? index
        guard offset < bytes.count else { return "the end of the file" }
        let byte = bytes[offset]
        switch byte {
        case UInt8(ascii: "\n"): return "the end of the line"
        case UInt8(ascii: "\r"):
            return offset + 1 < bytes.count && bytes[offset + 1] == UInt8(ascii: "\n") ? "the end of the line" : "a carriage return"
        case 0x20..<0x7F: return "'\(Character(Unicode.Scalar(byte)))'"
        case 0..<0x20, 0x7F: return "control character \(Self.codePoint(UInt32(byte)))"
        default:
            // A scalar's lead byte gives its length; the input is valid UTF-8.
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            return "'\(String(decoding: bytes[offset..<min(offset + length, bytes.count)], as: UTF8.self))'"
        }
    }

    static func codePoint(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F
    }

    static func isBareKey(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): true
        default: false
        }
    }

    static func display(_ key: ArraySlice<KeyPart>) -> String {
        key.map { part in
            !part.name.isEmpty && part.name.utf8.allSatisfy(isBareKey) ? part.name : "\"\(part.name)\""
        }.joined(separator: ".")
    }

    static func noun(_ value: TOMLValue) -> String {
        switch value.kind {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "an inline table"
        }
    }

    // MARK: Whitespace, comments, line ends

    mutating func skipSpaces() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { index += 1 }
    }

    mutating func skipComment() throws(TOMLError) {
        index += 1
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") { return }
            if Self.isControl(byte) { throw error("\(describe()) is not allowed in a comment") }
            index += 1
        }
    }

    /// Spaces, an optional comment, then a line end or the end of the file.
    mutating func endOfLine(after what: @autoclosure () -> String) throws(TOMLError) {
        skipSpaces()
        if peek() == UInt8(ascii: "#") { try skipComment() }
        if skipLineEnd() { return }
        switch peek() {
        case nil: return
        case UInt8(ascii: "\r"): throw error("a carriage return must be followed by a line feed")
        default: throw error("expected the end of the line after \(what()), found \(describe())")
        }
    }

    /// A line feed, or a carriage return and line feed.
    var atLineEnd: Bool {
        peek() == UInt8(ascii: "\n") || (peek() == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n"))
    }

    /// Past a line feed or CRLF; false when none is here.
    mutating func skipLineEnd() -> Bool {
        guard atLineEnd else { return false }
        index += peek() == UInt8(ascii: "\r") ? 2 : 1
        return true
    }

    mutating func skipSpacesAndLineEnds() {
        repeat { skipSpaces() } while skipLineEnd()
    }

    /// Whitespace, line ends and comments, as allowed between array elements.
    mutating func skipBlankSpace() throws(TOMLError) {
        skipSpacesAndLineEnds()
        while peek() == UInt8(ascii: "#") {
            try skipComment()
            skipSpacesAndLineEnds()
        }
    }

    // MARK: Document structure

    mutating func document() throws(TOMLError) -> TOMLTable {
        while true {
            skipSpaces()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try endOfLine(after: "the comment")
            case UInt8(ascii: "["):
                let header = try tableHeader()
                try endOfLine(after: "the table header \(header)")
            default:
                let key = try keyValue(into: current, depth: 0)
                try endOfLine(after: "the value of '\(Self.display(key[...]))'")
            }
        }
        return root.build()
    }

    /// `[a.b]` or `[[a.b]]`, which becomes the current table; returns the header as written.
    mutating func tableHeader() throws(TOMLError) -> String {
        let start = index
        let isArray = peek(1) == UInt8(ascii: "[")
        index += isArray ? 2 : 1
        skipSpaces()
        let key = try self.key()
        let name = Self.display(key[...])
        let header = isArray ? "[[\(name)]]" : "[\(name)]"
        if isArray {
            guard peek() == UInt8(ascii: "]"), peek(1) == UInt8(ascii: "]") else {
                throw error("expected ']]' to close the header \(header), found \(describe(peek() == UInt8(ascii: "]") ? index + 1 : index))")
            }
            index += 2
        } else {
            guard peek() == UInt8(ascii: "]") else { throw error("expected ']' to close the header \(header), found \(describe())") }
            index += 1
        }
        let headerLine = line(of: start)
        var table = root
        for (position, part) in key.dropLast().enumerated() {
            switch table.entries[part.name] {
            case nil:
                let made = TableBuilder(line: headerLine, origin: .implicit)
                table.add(part.name, .table(made))
                table = made
            case .table(let existing): table = existing
            case .tableArray(let array): table = array.last
            case .value(let value): throw notATable(Self.display(key[...position]), value, at: part.offset)
            }
        }
        guard let last = key.last else { return header }
        let path = Self.display(key[...])
        let existing = table.entries[last.name]
        if isArray {
            let made = TableBuilder(line: headerLine, origin: .header)
            switch existing {
            case nil: table.add(last.name, .tableArray(TableArrayBuilder(first: made)))
            case .tableArray(let array): array.append(made)
            case .table(let existing):
                throw error("the key '\(path)' is a table (line \(existing.line)), not an array of tables", at: last.offset)
            case .value(let value) where value.array != nil:
                throw error("the key '\(path)' is a static array (line \(value.line)); \(header) cannot append to it", at: last.offset)
            case .value(let value): throw notATable(path, value, at: last.offset)
            }
            current = made
            return header
        }
        switch existing {
        case nil:
            let made = TableBuilder(line: headerLine, origin: .header)
            table.add(last.name, .table(made))
            current = made
        case .table(let existing):
            switch existing.origin {
            case .implicit:
                existing.origin = .header
                existing.line = headerLine
                current = existing
            case .header: throw error("the table \(header) is defined twice (first on line \(existing.line))", at: last.offset)
            case .dotted: throw error("the table \(header) was already defined by dotted keys on line \(existing.line)", at: last.offset)
            }
        case .tableArray(let array):
            throw error("the key '\(path)' is an array of tables (line \(array.line)); add to it with [[\(path)]]", at: last.offset)
        case .value(let value): throw notATable(path, value, at: last.offset)
        }
        return header
    }

    func notATable(_ path: String, _ value: TOMLValue, at offset: Int) -> TOMLError {
        if value.table != nil { return error("the inline table '\(path)' (line \(value.line)) cannot be extended", at: offset) }
        return error("the key '\(path)' already holds \(Self.noun(value)) (line \(value.line)), so it cannot be a table", at: offset)
    }

    /// `key = value` into `table`; returns the key. `depth` is the nesting
    /// of the inline table holding the pair (0 at the top level).
    mutating func keyValue(into table: TableBuilder, depth: Int) throws(TOMLError) -> [KeyPart] {
        let key = try self.key()
        guard peek() == UInt8(ascii: "=") else {
            throw error("expected '=' after the key '\(Self.display(key[...]))', found \(describe())")
        }
        index += 1
        skipSpaces()
        var target = table
        for (position, part) in key.dropLast().enumerated() {
            let path = { Self.display(key[...position]) }
            switch target.entries[part.name] {
            case nil:
                let made = TableBuilder(line: line(of: part.offset), origin: .dotted)
                target.add(part.name, .table(made))
                target = made
            case .table(let existing) where existing.origin == .dotted: target = existing
            case .table(let existing):
                throw error("the table '\(path())' was made by the header on line \(existing.line); dotted keys cannot add to it", at: part.offset)
            case .tableArray(let array):
                throw error("the key '\(path())' is an array of tables (line \(array.line)); dotted keys cannot add to it", at: part.offset)
            case .value(let value): throw notATable(path(), value, at: part.offset)
            }
        }
        guard let last = key.last else { return key }
        if let existing = target.entries[last.name] {
            throw error("the key '\(Self.display(key[...]))' is defined twice (first on line \(existing.line))", at: last.offset)
        }
        // Inside an inline table, dotted keys nest tables as deeply as braces do.
        let value = try self.value(depth: depth == 0 ? 0 : depth + key.count - 1)
        target.add(last.name, .value(value))
        return key
    }

    /// A dotted key and the spaces after it.
    mutating func key() throws(TOMLError) -> [KeyPart] {
        var parts: [KeyPart] = []
        while true {
            let start = index
            let name: String
            switch peek() {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if peek(1) == peek(), peek(2) == peek() { throw error("a key cannot be a multi-line string") }
                name = try string()
            case let byte? where Self.isBareKey(byte):
                while let byte = peek(), Self.isBareKey(byte) { index += 1 }
                name = String(decoding: bytes[start..<index], as: UTF8.self)
            default:
                throw error(parts.isEmpty ? "expected a key, found \(describe())" : "expected a key after '.', found \(describe())")
            }
            parts.append(KeyPart(name: name, offset: start))
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else { return parts }
            guard parts.count < TOMLReader.maximumKeyParts else {
                throw error("a key has more than \(TOMLReader.maximumKeyParts) parts")
            }
            index += 1
            skipSpaces()
        }
    }

    // MARK: Values

    /// The value here; `depth` is how many arrays and inline tables hold it.
    mutating func value(depth: Int) throws(TOMLError) -> TOMLValue {
        let start = index
        let line = line(of: start)
        switch peek() {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return TOMLValue(.string(try string()), line: line)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            guard depth < TOMLReader.maximumDepth else {
                throw error("arrays and inline tables are nested more than \(TOMLReader.maximumDepth) levels deep")
            }
            let kind = peek() == UInt8(ascii: "[") ? try array(depth: depth + 1) : try inlineTable(depth: depth + 1)
            return TOMLValue(kind, line: line)
        default:
            return TOMLValue(try scalar(), line: line)
        }
    }

    mutating func array(depth: Int) throws(TOMLError) -> TOMLValue.Kind {
        let start = index
        index += 1
        var elements: [TOMLValue] = []
        while true {
            try skipBlankSpace()
            switch peek() {
            case nil: throw error("unterminated array: expected ']' before the end of the file", at: start)
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            case UInt8(ascii: ","): throw error("expected a value or ']' in the array, found ','")
            default: break
            }
            elements.append(try value(depth: depth))
            try skipBlankSpace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            case nil: throw error("unterminated array: expected ']' before the end of the file", at: start)
            default: throw error("expected ',' or ']' after an array element, found \(describe())")
            }
        }
    }

    mutating func inlineTable(depth: Int) throws(TOMLError) -> TOMLValue.Kind {
        let table = TableBuilder(line: line(of: index), origin: .header)
        index += 1
        skipSpaces()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return .table(table.build())
        }
        while true {
            skipSpaces()
            if peek() == UInt8(ascii: "}") { throw error("a trailing comma is not allowed in an inline table") }
            _ = try keyValue(into: table, depth: depth)
            skipSpaces()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .table(table.build())
            case nil, UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "#"):
                throw error("expected ',' or '}' in the inline table, found \(peek() == UInt8(ascii: "#") ? "a comment" : describe()) (an inline table must be on one line)")
            default: throw error("expected ',' or '}' after a value in the inline table, found \(describe())")
            }
        }
    }

    /// A string at its opening quote: basic (`"…"`, `"""…"""`, escapes
    /// resolved) or literal (`'…'`, `'''…'''`, as written).
    mutating func string() throws(TOMLError) -> String {
        let start = index
        guard let quote = peek() else { throw error("expected a string, found the end of the file") }
        let isBasic = quote == UInt8(ascii: "\"")
        let multiline = peek(1) == quote && peek(2) == quote
        index += multiline ? 3 : 1
        // A line end right after an opening `"""` or `'''` is not content.
        if multiline { _ = skipLineEnd() }
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else { throw unterminated(quote, multiline, at: start) }
            if byte == quote {
                if !multiline { index += 1; return String(decoding: text, as: UTF8.self) }
                if closesMultiline(quote, into: &text) { return String(decoding: text, as: UTF8.self) }
            } else if byte == UInt8(ascii: "\\") && isBasic {
                guard index + 1 < bytes.count else { throw unterminated(quote, multiline, at: start) }
                try escape(into: &text, multiline: multiline)
            } else if skipLineEnd() {
                guard multiline else { throw unterminated(quote, multiline, at: start) }
                // CRLF is read as LF, so a value does not depend on how the file was saved.
                text.append(UInt8(ascii: "\n"))
            } else if Self.isControl(byte) {
                throw error("\(describe()) is not allowed in a string\(isBasic ? "; write it as an escape" : "")")
            } else {
                text.append(byte)
                index += 1
            }
        }
    }

    func unterminated(_ quote: UInt8, _ multiline: Bool, at start: Int) -> TOMLError {
        let delimiter = String(repeating: Character(Unicode.Scalar(quote)), count: multiline ? 3 : 1)
        return error("unterminated string: expected '\(delimiter)' before the end of the \(multiline ? "file" : "line")", at: start)
    }

    /// At a run of `quote`s in a multi-line string: three close it, and up
    /// to two more before them are content.
    mutating func closesMultiline(_ quote: UInt8, into text: inout [UInt8]) -> Bool {
        var run = 0
        while run < 5, peek(run) == quote { run += 1 }
        if run < 3 {
            text.append(contentsOf: repeatElement(quote, count: run))
            index += run
            return false
        }
        text.append(contentsOf: repeatElement(quote, count: run - 3))
        index += run
        return true
    }

    /// The escape at a backslash, which has a byte after it.
    mutating func escape(into text: inout [UInt8], multiline: Bool) throws(TOMLError) {
        let start = index
        let code = bytes[index + 1]
        index += 2
        switch code {
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): text.append(code)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = code == UInt8(ascii: "u") ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let digit = peek().flatMap(Self.hexDigit) else {
                    throw error("expected \(count) hex digits after '\\\(Character(Unicode.Scalar(code)))', found \(describe())")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw error("the escape '\(String(decoding: bytes[start..<index], as: UTF8.self))' is not a Unicode scalar value", at: start)
            }
            UTF8.encode(scalar) { text.append($0) }
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
            // A backslash ending a line (spaces may follow it) trims the line end and the whitespace after it.
            index -= 1
            skipSpaces()
            guard multiline, atLineEnd else { throw invalidEscape(at: start) }
            skipSpacesAndLineEnds()
        default:
            throw invalidEscape(at: start)
        }
    }

    func invalidEscape(at start: Int) -> TOMLError {
        let shown = describe(start + 1)
        return error(shown.hasPrefix("'") ? "invalid escape '\\\(shown.dropFirst())" : "invalid escape: '\\' followed by \(shown)", at: start)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A boolean or number: the run of bytes that can make one, then checked.
    mutating func scalar() throws(TOMLError) -> TOMLValue.Kind {
        let start = index
        while let byte = peek(), Self.isBareKey(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":") {
            index += 1
        }
        let token = bytes[start..<index]
        let text = String(decoding: token, as: UTF8.self)
        guard let first = token.first else { throw error("expected a value, found \(describe())") }
        // A date starts YYYY-, a time HH:; a number never has '-' or ':' there.
        let shape = token.prefix(5).map { Self.isDigit($0) ? UInt8(ascii: "9") : $0 }
        if shape.starts(with: Array("9999-".utf8)) || shape.starts(with: Array("99:".utf8)) {
            throw error("dates and times are not used in this file; quote it", at: start)
        }
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan": return .float(.nan)
        case "-nan": return .float(-.nan)
        default: break
        }
        guard first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: ".") || Self.isDigit(first) || first == UInt8(ascii: "_") else {
            throw error("expected a value, found '\(text)'", at: start)
        }
        return try number(token, text: text)
    }

    func number(_ token: ArraySlice<UInt8>, text: String) throws(TOMLError) -> TOMLValue.Kind {
        let start = token.startIndex
        let sign = token.first == UInt8(ascii: "+") || token.first == UInt8(ascii: "-") ? token.first : nil
        let body = sign == nil ? token : token.dropFirst()
        if body.count >= 2, body.first == UInt8(ascii: "0"), let prefix = Self.radixPrefix(body[body.startIndex + 1]) {
            guard sign == nil else { throw error("a sign is not allowed on \(prefix.name) integer: '\(text)'", at: start) }
            try checkDigits(body.dropFirst(2), radix: prefix.radix, text: text, at: start, what: "digits")
            return .integer(try integer(body.dropFirst(2), radix: prefix.radix, negative: false, text: text, at: start))
        }
        let mark = body.firstIndex { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } ?? body.endIndex
        let whole = body[..<mark]
        try checkDigits(whole, radix: 10, text: text, at: start, what: "digits")
        if whole.count > 1, whole.first == UInt8(ascii: "0") { throw error("leading zeros are not allowed in '\(text)'", at: start) }
        guard mark < body.endIndex else {
            return .integer(try integer(whole, radix: 10, negative: sign == UInt8(ascii: "-"), text: text, at: start))
        }
        var rest = body[mark...]
        if rest.first == UInt8(ascii: ".") {
            let exponentMark = rest.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } ?? rest.endIndex
            try checkDigits(rest[(mark + 1)..<exponentMark], radix: 10, text: text, at: start, what: "a digit after '.'")
            rest = rest[exponentMark...]
        }
        if !rest.isEmpty {
            var exponent = rest.dropFirst()
            if exponent.first == UInt8(ascii: "+") || exponent.first == UInt8(ascii: "-") { exponent = exponent.dropFirst() }
            try checkDigits(exponent, radix: 10, text: text, at: start, what: "an exponent")
        }
        guard let value = Double(String(decoding: token.lazy.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)), value.isFinite else {
            throw error("the float '\(text)' is out of range", at: start)
        }
        return .float(value)
    }

    static func radixPrefix(_ letter: UInt8) -> (radix: Int64, name: String)? {
        switch letter {
        case UInt8(ascii: "x"): (16, "a hexadecimal")
        case UInt8(ascii: "o"): (8, "an octal")
        case UInt8(ascii: "b"): (2, "a binary")
        default: nil
        }
    }

    /// Digits of `radix`, at least one, with each underscore between two digits.
    func checkDigits(_ digits: ArraySlice<UInt8>, radix: Int64, text: String, at start: Int, what: String) throws(TOMLError) {
        guard !digits.isEmpty else { throw error("expected \(what) in the number '\(text)'", at: start) }
        var previousIsDigit = false
        for offset in digits.indices {
            let byte = digits[offset]
            if byte == UInt8(ascii: "_") {
                // What follows is checked as a digit in its turn.
                guard previousIsDigit, offset + 1 < digits.endIndex, digits[offset + 1] != UInt8(ascii: "_") else {
                    throw error("an underscore in a number must be between two digits: '\(text)'", at: start)
                }
                previousIsDigit = false
            } else {
                guard let digit = Self.hexDigit(byte), Int64(digit) < radix else {
                    throw error("invalid character \(describe(offset)) in the number '\(text)'", at: start)
                }
                previousIsDigit = true
            }
        }
    }

    /// The value of digits already checked.
    func integer(_ digits: ArraySlice<UInt8>, radix: Int64, negative: Bool, text: String, at start: Int) throws(TOMLError) -> Int64 {
        var value: Int64 = 0
        for byte in digits where byte != UInt8(ascii: "_") {
            // Counting down for a negative number reaches Int64.min, which has no positive twin.
            let digit = Int64(Self.hexDigit(byte) ?? 0)
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: radix)
            let (next, overflowB) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflowA, !overflowB else { throw error("the integer '\(text)' does not fit in 64 bits", at: start) }
            value = next
        }
        return value
    }
}
