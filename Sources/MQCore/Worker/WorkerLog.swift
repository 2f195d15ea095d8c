import FoundationEssentials
import Glibc
import MQFormat

/// The worker's log on stderr: one line per state change, as text or JSON.
/// Per-message lines only at `debug`. Text lines written to the journal
/// (`journal`: stderr is `$JOURNAL_STREAM`) carry no timestamp of their
/// own, the journal keeps one, and start with the level's syslog priority
/// as sd-daemon(3) reads it: `<7>` debug, `<6>` info, `<4>` warn, `<3>` error.
public final class WorkerLog: @unchecked Sendable {
    public enum Level: Int, Comparable, Sendable, CaseIterable {
        case debug, info, warn, error

        public var name: String { ["debug", "info", "warn", "error"][rawValue] }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        /// The syslog priority: LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR.
        public var priority: Int { [7, 6, 4, 3][rawValue] }
    }

    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    private let level: Level
    private let format: Format
    private let journal: Bool
    private let write: (String) -> Void
    private let lock = Lock()

    public init(level: Level, format: Format, journal: Bool = false, write: @escaping (String) -> Void) {
        self.level = level
        self.format = format
        self.journal = journal
        self.write = write
    }

    /// A field's value: JSON keeps numbers numbers; durations are seconds,
    /// named `_seconds`.
    public enum Value: Sendable, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
        case text(String)
        case number(Int64)
        case seconds(Double)

        public init(stringLiteral value: String) { self = .text(value) }

        public static func count(_ n: Int) -> Value { .number(Int64(n)) }

        var text: String {
            switch self {
            case .text(let text): text
            case .number(let n): String(n)
            case .seconds(let x): String(printf: "%.3f", x)
            }
        }

        var json: String {
            switch self {
            case .text(let text): JSONText.quote(text)
            case .number(let n): String(n)
            case .seconds(let x): x.isFinite ? String((x * 1000).rounded() / 1000) : "null"
            }
        }
    }

    public func log(_ level: Level, _ message: String, _ fields: [(String, Value)] = []) {
        guard level >= self.level else { return }
        let time = TimeText.rfc3339(Int64(Date().timeIntervalSince1970 * 1000))
        let line: String
        switch format {
        case .text:
            let text = "\(level.name.uppercased()) \(message)" + fields.map { " \($0.0)=\(Self.quoted($0.1.text))" }.joined()
            // One journal entry per line: a newline in the message would start an entry without its priority.
            line = journal ? "<\(level.priority)>" + text.replacingLiteral("\n", with: "\\n") : "\(time) \(text)"
        case .json:
            // Keys sorted, a field named like a standard one replacing it.
            var object: [String: String] = ["time": JSONText.quote(time), "level": JSONText.quote(level.name), "msg": JSONText.quote(message)]
            for (key, value) in fields { object[key] = value.json }
            line = "{" + object.sorted { $0.key < $1.key }.map { JSONText.quote($0.key) + ":" + $0.value }.joined(separator: ",") + "}"
        }
        lock.withLock { write(line + "\n") }
    }

    private static func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0.isNewline }) ? "\"" + value.replacingLiteral("\"", with: "\\\"")
            .replacingLiteral("\n", with: "\\n") + "\"" : value
    }
}
