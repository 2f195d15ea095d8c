import MQCore
import MQFormat

/// How core values look in output: the field names of every format.
enum Records {
    static let statsColumns = [
        Column("queue"), Column("layout"), Column("ready", rightAligned: true), Column("ready_by_priority.express", rightAligned: true),
        Column("ready_by_priority.urgent", rightAligned: true), Column("ready_by_priority.normal", rightAligned: true),
        Column("delayed", rightAligned: true), Column("retry", rightAligned: true), Column("inflight", rightAligned: true),
        Column("dead", rightAligned: true), Column("dead_trimmed", rightAligned: true),
        Column("latency_seconds", rightAligned: true), Column("overdue", rightAligned: true),
        Column("next_due_seconds", rightAligned: true), Column("processed", rightAligned: true), Column("failed", rightAligned: true),
        Column("processed_per_min", rightAligned: true), Column("failed_per_min", rightAligned: true),
        Column("rejected", rightAligned: true), Column("rejected_per_min", rightAligned: true), Column("paused"),
        Column("max_length", rightAligned: true), Column("usage_pct", rightAligned: true), Column("status"),
    ]

    /// The columns a table shows, within 80 columns; `-o wide` shows every
    /// field, each tier's depth among them.
    static let statsTableColumns = [
        Column("queue"), Column("ready", rightAligned: true), Column("delayed", rightAligned: true),
        Column("retry", rightAligned: true), Column("inflight", rightAligned: true), Column("dead", rightAligned: true),
        Column("latency_seconds", rightAligned: true), Column("status", isStatus: true),
    ]

    /// `stats --watch`: depths and per-second rates from the change between draws.
    static let statsWatchColumns = [
        Column("queue"), Column("ready", rightAligned: true), Column("inflight", rightAligned: true),
        Column("dead", rightAligned: true), Column("latency_seconds", rightAligned: true),
        Column("processed_per_s", rightAligned: true), Column("failed_per_s", rightAligned: true), Column("status", isStatus: true),
    ]

    /// Ready depth per tier in fetch order: mqctl's priorities, or a
    /// layout's tiers.
    static func tiers(_ stats: QueueStats) -> [TierDepth] {
        stats.layout != nil ? stats.tiers : Priority.allCases.map { TierDepth(name: $0.rawValue, count: stats.readyByPriority[$0] ?? 0) }
    }

    /// Prometheus labels of a queue: its name, and its layout when declared.
    static func labels(_ stats: QueueStats) -> [(String, String)] {
        [("queue", stats.queue.rawValue)] + (stats.layout.map { [("layout", $0)] } ?? [])
    }

    static func stats(_ stats: QueueStats) -> Record {
        [
            "queue": .string(stats.queue.rawValue),
            "layout": .string(stats.layout ?? "native"),
            "ready": .int(stats.ready),
            "ready_by_priority": .object(Record(tiers(stats).map { ($0.name, .int($0.count)) })),
            "delayed": .int(stats.delayed),
            "retry": .int(stats.retry),
            "inflight": .int(stats.inflight),
            "dead": .int(stats.dead),
            "dead_trimmed": .int(stats.deadTrimmed),
            "latency_seconds": .seconds(stats.latencySeconds),
            "overdue": .int(stats.overdue),
            "next_due_seconds": stats.nextDueSeconds.map { .seconds($0) } ?? .null,
            "processed": .int(stats.processed),
            "failed": .int(stats.failed),
            "processed_per_min": .int(stats.processedPerMinute),
            "failed_per_min": .int(stats.failedPerMinute),
            "rejected": .int(stats.rejected),
            "rejected_per_min": .int(stats.rejectedPerMinute),
            "paused": .bool(stats.config.paused),
            "max_length": stats.config.maxLength.map { .int($0) } ?? .null,
            "usage_pct": stats.usagePercent.map { .double(($0 * 10).rounded() / 10) } ?? .null,
            "status": .string(stats.status.rawValue),
        ]
    }

    /// A message in full. The payload is a string when it is UTF-8, else
    /// base64 with `payload_encoding`.
    static func message(_ view: MessageView) -> Record {
        let envelope = view.envelope
        var fields: [(name: String, value: FieldValue)] = [
            ("id", .string(envelope.id)), ("queue", .string(view.queue.rawValue)), ("state", .string(envelope.state.rawValue)),
            ("priority", .string(envelope.priority.rawValue)), ("attempts", .int(envelope.attempts)),
            ("max_attempts", .int(envelope.maxAttempts)), ("enqueued_at", .time(envelope.enqueuedAt)),
            ("run_at", .time(envelope.runAt)),
        ]
        if let score = view.score, envelope.state == .inflight { fields.append(("lease_until", .time(score))) }
        if let failedAt = envelope.failedAt { fields.append(("failed_at", .time(failedAt))) }
        if let error = envelope.lastError { fields.append(("last_error", .string(error))) }
        if let worker = envelope.worker { fields.append(("worker", .string(worker))) }
        fields.append(("headers", .object(Record(envelope.headers.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))))
        fields += payload(envelope.payload)
        return Record(fields)
    }

    static func payload(_ bytes: [UInt8]) -> [(name: String, value: FieldValue)] {
        if let text = String(validating: bytes, as: UTF8.self) {
            return [("payload", .string(text))]
        }
        return [("payload", .string(Base64.encode(bytes))), ("payload_encoding", .string("base64"))]
    }
}
