import FoundationEssentials
import Glibc
import MQFormat
import MQParsing

/// A named set of connection settings, as `nats context` and kubectl's
/// contexts keep them: `[contexts.NAME]` tables in the config file, and
/// `current_context` at its top. No password is stored in it: a
/// `password_file` or a `password_command` names where one comes from.
struct ConnectionContext: Equatable {
    var name: String
    var url: String?
    var user: String?
    var passwordFile: String?
    var passwordCommand: String?
    var prefix: String?
    var layout: String?
    var tls = false
    var cacert: String?
    var cacertdir: String?
    var cert: String?
    var key: String?
    var sni: String?
    var insecure = false

    /// The TOML keys, in the order they are written.
    static let keys = ["url", "user", "password_file", "password_command", "prefix", "layout",
                       "tls", "cacert", "cacertdir", "cert", "key", "sni", "insecure"]

    /// Names a context may have: what a TOML bare key allows.
    static func validate(name: String) throws {
        guard !name.isEmpty, name.count <= 64,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw UsageError("a context name is 1 to 64 letters, digits, '-' and '_'; '\(name)' is not")
        }
    }

    /// The `[contexts.NAME]` table as text.
    var toml: String {
        var lines = ["[contexts.\(name)]"]
        for (key, value) in [("url", url), ("user", user), ("password_file", passwordFile), ("password_command", passwordCommand),
                             ("prefix", prefix), ("layout", layout), ("cacert", cacert), ("cacertdir", cacertdir),
                             ("cert", cert), ("key", key), ("sni", sni)] {
            if let value { lines.append("\(key) = \(Self.quoted(value))") }
        }
        if tls { lines.append("tls = true") }
        if insecure { lines.append("insecure = true") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A TOML basic string: JSON's escapes are TOML's, but for DEL,
    /// which TOML wants escaped too.
    static func quoted(_ text: String) -> String {
        JSONText.quote(text).replacingLiteral("\u{7F}", with: "\\u007F")
    }
}

/// The contexts of the config file, and the edits `mqctl context` makes
/// to it. Edits change the text in place (a table appended or cut out,
/// one top-level line set), so the layouts and comments around them stay
/// as they were; the result is read back before it replaces the file,
/// which is written whole with mode 0600.
struct ContextFile {
    let path: String
    private(set) var text: String
    private(set) var contexts: [ConnectionContext] = []
    private(set) var current: String?

    /// The file at `path`; empty when it does not exist yet.
    init(path: String) throws {
        if FileManager.default.fileExists(atPath: path) {
            let bytes = try InputSource.contents(ofFile: path, option: "--config")
            try self.init(path: path, text: String(decoding: bytes, as: UTF8.self))
        } else {
            try self.init(path: path, text: "")
        }
    }

    init(path: String, text: String) throws {
        self.path = path
        self.text = text
        let root = try LayoutFile.parse(text, path: path)
        let reader = LayoutFile.Reader(path: path, root: root)
        if let value = root["current_context"] { current = try reader.string(value, "current_context") }
        guard let section = root["contexts"] else { return }
        let table = try reader.table(section, "contexts")
        for name in table.keys.sorted() {
            let key = "contexts.\(name)"
            let entry = try reader.table(table[name]!, key)
            try reader.only(entry, key, ConnectionContext.keys)
            func string(_ field: String) throws -> String? { try entry[field].map { try reader.string($0, "\(key).\(field)") } }
            func flag(_ field: String) throws -> Bool {
                guard let value = entry[field] else { return false }
                guard let flag = value.boolean else { throw reader.error("\(key).\(field)", "must be true or false") }
                return flag
            }
            let context = ConnectionContext(
                name: name, url: try string("url"), user: try string("user"), passwordFile: try string("password_file"),
                passwordCommand: try string("password_command"), prefix: try string("prefix"), layout: try string("layout"),
                tls: try flag("tls"), cacert: try string("cacert"), cacertdir: try string("cacertdir"), cert: try string("cert"),
                key: try string("key"), sni: try string("sni"), insecure: try flag("insecure"))
            if context.passwordFile != nil && context.passwordCommand != nil {
                throw reader.error(key, "give password_file or password_command, not both")
            }
            if let url = context.url, (try? RedisURL.parse(url))?.password != nil {
                throw reader.error("\(key).url", "holds a password; the config file keeps none (use password_file or password_command)")
            }
            contexts.append(context)
        }
        if let current, !contexts.contains(where: { $0.name == current }) {
            throw reader.error("current_context", "no context '\(current)' is declared")
        }
    }

    func context(named name: String) throws -> ConnectionContext {
        guard let context = contexts.first(where: { $0.name == name }) else {
            let known = contexts.map(\.name)
            throw CommandFailure("no context '\(name)' in \(path)",
                                 hint: known.isEmpty ? "add one with: mqctl context add \(name) --url URL" : "the contexts are \(known.joined(separator: ", "))")
        }
        return context
    }

    // MARK: - Edits

    mutating func add(_ context: ConnectionContext) throws {
        guard !contexts.contains(where: { $0.name == context.name }) else {
            throw CommandFailure("context '\(context.name)' exists already in \(path); nothing was changed",
                                 hint: "remove it first with: mqctl context rm \(context.name)")
        }
        var edited = text
        if !edited.isEmpty && !edited.hasSuffix("\n") { edited += "\n" }
        if !edited.isEmpty { edited += "\n" }
        try replace(with: edited + context.toml)
    }

    mutating func remove(_ name: String) throws {
        _ = try context(named: name)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { Self.header(of: $0) == "contexts.\(name)" }) else {
            throw CommandFailure("context '\(name)' is not written as a [contexts.\(name)] table in \(path); edit the file by hand")
        }
        var end = lines[(start + 1)...].firstIndex { Self.header(of: $0) != nil } ?? lines.endIndex
        // The blank lines before the next table go with the one cut out.
        while end > start + 1, lines[end - 1].trimmingBlanks().isEmpty, end < lines.endIndex { end -= 1 }
        lines.removeSubrange(start..<end)
        if current == name { lines.removeAll { Self.isCurrentLine($0) } }
        try replace(with: lines.joined(separator: "\n"))
    }

    mutating func use(_ name: String) throws {
        _ = try context(named: name)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let line = "current_context = \(ConnectionContext.quoted(name))"
        if let index = lines.firstIndex(where: Self.isCurrentLine) {
            lines[index] = line
        } else {
            // A top-level key must come before any table: the first line is.
            lines.insert(line, at: 0)
        }
        try replace(with: lines.joined(separator: "\n"))
    }

    /// Reads `edited` back (so a bad edit never reaches the file), then
    /// writes it with mode 0600: the file names where passwords are.
    private mutating func replace(with edited: String) throws {
        let checked = try ContextFile(path: path, text: edited)
        _ = try LayoutFile(text: edited, path: path)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try AtomicFile.write(Array(edited.utf8), to: path, mode: 0o600)
        self = checked
    }

    /// `contexts.prod` for the line `[contexts.prod]`; nil for any other line.
    private static func header(of line: String) -> String? {
        let trimmed = line.trimmingBlanks()
        guard trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") else { return nil }
        return trimmed[trimmed.index(after: trimmed.startIndex)..<close].trimming { "[] ".contains($0) }
    }

    private static func isCurrentLine(_ line: String) -> Bool {
        let trimmed = line.trimmingBlanks()
        return trimmed.hasPrefix("current_context ") || trimmed.hasPrefix("current_context=")
    }
}
