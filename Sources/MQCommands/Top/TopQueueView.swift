import MQCore
import MQFormat
import MQParsing

/// One queue in the dashboard: a tab per state with the messages at its
/// head, and the selected one's payload and headers. Each refresh runs
/// one list command (as many messages as fit), `show` for the selected
/// one, and the queue's stats: bounded by the screen, not the queue.
struct TopQueueView {
    enum Tab: Int, CaseIterable {
        case ready, delayed, retry, dead

        var title: String { ["ready", "delayed", "retry", "dead"][rawValue] }
    }

    /// A message as the list shows it.
    struct Row {
        var id: String
        /// When, for people: an age, or the time until it is due.
        var when: String
        var attempts: String
        /// The last error (not for ready messages), else the payload's start.
        var text: String
    }

    let ref: QueueRef
    var tab = Tab.ready
    var rows: [Row] = []
    var selected = 0
    var offset = 0
    /// `/`: dead letters whose last error matches this regular expression,
    /// or, written `payload:TEXT`, whose payload holds TEXT.
    var filter: String?
    private(set) var detail: [String] = []
    private(set) var stats: QueueStats?
    private(set) var failure: String?

    init(ref: QueueRef) {
        self.ref = ref
    }

    var selectedID: String? { rows.indices.contains(selected) ? rows[selected].id : nil }

    var queue: String { ref.name.rawValue }

    /// The dead-letter filter as `dlq` options.
    var filterOptions: [String] {
        guard let filter, !filter.isEmpty else { return [] }
        return filter.hasPrefix("payload:") ? ["--payload-contains", String(filter.dropFirst(8))] : ["--error", filter]
    }

    mutating func refresh(_ commands: TopCommands, broker: Broker, rows limit: Int) {
        let count = String(max(1, limit))
        let list: [String]
        switch tab {
        case .ready: list = ["peek", queue, "--count", count]
        case .delayed: list = ["delayed", "list", queue, "--limit", count]
        case .retry: list = ["retry", "list", queue, "--limit", count]
        case .dead: list = ["dlq", "list", queue, "--limit", count] + filterOptions
        }
        let listed = commands.run(list)
        failure = listed.error
        let items = listed.json.flatMap { json in ["messages", "delayed", "retry", "items"].lazy.compactMap { json[$0]?.arrayValue }.first } ?? []
        let now = Double(broker.time.nowMilliseconds()) / 1000
        rows = items.map { Self.row($0, tab: tab, now: now) }
        selected = min(selected, max(0, rows.count - 1))
        stats = (try? broker.statsReadings([ref]))?.first?.stats
        detail = []
        if let id = selectedID {
            let shown = commands.run(tab == .dead ? ["dlq", "show", queue, id] : ["show", queue, id])
            detail = shown.json.map(Self.detail) ?? ["(\(shown.error ?? "cannot show \(id)"))"]
        }
    }

    static func row(_ item: JSONValue, tab: Tab, now: Double) -> Row {
        let id = item["id"]?.stringValue ?? item["member"]?.stringValue ?? "?"
        var when = ""
        if let seconds = item["due_in_seconds"]?.numberValue {
            when = "in " + TimeText.humanDuration(seconds)
        } else if let age = item["age_seconds"]?.numberValue {
            when = TimeText.humanDuration(age) + " ago"
        } else if let stamp = (item["failed_at"] ?? item["enqueued_at"] ?? item["run_at"])?.stringValue,
                  let ms = TimeValue.parseRFC3339(Array(stamp.utf8)) {
            when = TimeText.humanDuration(now - Double(ms) / 1000) + " ago"
        }
        let attempts = item["attempts"]?.integerValue.map(String.init) ?? ""
        // Ready messages by their payload (a replayed one keeps its old error); the others by why they wait.
        let error = tab == .ready ? nil : item["last_error"]?.stringValue ?? item["error"]?.stringValue
        let text = error ?? item["payload"]?.stringValue ?? ""
        return Row(id: id, when: when, attempts: attempts, text: text)
    }

    /// The payload (pretty JSON when it is JSON, base64 as the command
    /// gives binary), then headers and the rest of the message's fields.
    static func detail(_ message: JSONValue) -> [String] {
        var lines: [String] = []
        guard case .object(let members) = message else { return [message.text] }
        let skipped: Set<String> = ["payload", "payload_encoding", "headers"]
        lines.append(members.filter { !skipped.contains($0.name) }.map { "\($0.name)=\($0.value.stringValue ?? $0.value.text)" }
            .joined(separator: "  "))
        if case .object(let headers)? = message["headers"], !headers.isEmpty {
            lines.append("headers: " + headers.map { "\($0.name)=\($0.value.stringValue ?? $0.value.text)" }.joined(separator: "  "))
        }
        if let payload = message["payload"]?.stringValue {
            let encoding = message["payload_encoding"]?.stringValue
            lines.append("payload" + (encoding.map { " (\($0))" } ?? "") + ":")
            if encoding == nil, let json = try? JSONReader.value(Array(payload.utf8)) {
                lines += json.pretty().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            } else {
                lines += payload.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            }
        }
        return lines
    }
}
