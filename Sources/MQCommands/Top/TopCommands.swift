import MQFormat
import MQParsing
import MQRedis

/// The mqctl commands the dashboard runs, in this process and over its
/// connection: its lists and actions are `peek`, `dlq list`, `dlq replay`
/// and the rest, with their checks, confirmations, locks and audit entries;
/// it has no read or write path of its own for messages.
struct TopCommands {
    let inherited: InheritedOptions
    let connection: RedisConnection

    struct Outcome {
        var code: Int32
        /// stdout as JSON (every command runs with `-o json`).
        var json: JSONValue?
        /// The first line of stderr, without `mqctl: error: `.
        var error: String?
    }

    func run(_ words: [String]) -> Outcome {
        let stdout = OutputSink.memory(), stderr = OutputSink.memory()
        let code = MQCtl.execute(arguments: inherited.line(words + ["-o", "json"]), environment: inherited.environment,
                                 stdout: stdout, stderr: stderr, connection: connection)
        let firstLine = stderr.text.split(separator: "\n").first.map { String($0) }
        let error = firstLine.map { $0.hasPrefix("mqctl: error: ") ? String($0.dropFirst("mqctl: error: ".count)) : $0 }
        return Outcome(code: code, json: try? JSONReader.value(stdout.captured), error: code == 0 ? nil : error ?? "exit \(code)")
    }
}

extension JSONValue {
    /// The member `name` of an object; nil for anything else.
    subscript(_ name: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.name == name }?.value
    }

    var stringValue: String? { if case .string(let text) = self { text } else { nil } }

    var integerValue: Int64? { if case .integer(let number) = self { number } else { nil } }

    var numberValue: Double? {
        switch self {
        case .integer(let number): Double(number)
        case .number(let number): number
        default: nil
        }
    }

    var arrayValue: [JSONValue]? { if case .array(let items) = self { items } else { nil } }

    /// JSON text indented by two spaces a level, for people.
    func pretty(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { inner + $0.pretty(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members) where !members.isEmpty:
            return "{\n" + members.map { inner + JSONText.quote($0.name) + ": " + $0.value.pretty(indent: inner) }
                .joined(separator: ",\n") + "\n\(indent)}"
        default:
            return text
        }
    }
}
