import ArgumentParser
import MQCore
import MQFormat
import MQParsing

extension MQCtl {
    struct Queues: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "queues",
            abstract: "List, create, configure, pause, resume and delete queues.",
            discussion: "Example: mqctl queues create orders --max-length 100000",
            subcommands: [List.self, Create.self, Config.self, Pause.self, Resume.self, Delete.self])
    }
}

enum QueueConfigRecord {
    static func make(_ queue: QueueName, _ config: QueueConfig) -> Record {
        [
            "queue": .string(queue.rawValue), "max_length": config.maxLength.map { .int($0) } ?? .null,
            "max_attempts": .int(config.maxAttempts), "dead_max": config.deadMax == 0 ? .null : .int(config.deadMax),
            "dead_max_age_seconds": config.deadMaxAge == 0 ? .null : .seconds(Double(config.deadMaxAge) / 1000),
            "paused": .bool(config.paused),
        ]
    }
}

/// What `queues pause` and `queues resume` do: set the flag, audit it, print it.
func setPaused(_ name: String, _ paused: Bool, _ context: CommandContext) throws {
    let queue = try QueueName(name)
    let broker = try context.broker()
    try broker.setPaused(queue, paused)
    context.audit(AuditEntry(command: paused ? "queues pause" : "queues resume", queue: queue.rawValue), broker)
    try context.output { $0.single(["queue": .string(queue.rawValue), "paused": .bool(paused)]) }
}

/// A queue's settings, for `queues create` (one left out gets its
/// default) and `queues config` (one left out stays as it is); so the help
/// names no default, and each command's discussion says which rule holds.
struct QueueConfigOptions: ParsableArguments {
    @Option(help: "Ready plus delayed messages allowed; 0 for no limit.")
    var maxLength: Int64?

    @Option(help: "Attempts before a message is dead-lettered.")
    var maxAttempts: Int64?

    @Option(help: "Dead letters kept; 0 for no limit.")
    var deadMax: Int64?

    @Option(help: "Age after which dead letters are dropped, e.g. 30d; 0s for no limit.", transform: DurationValue.init(parsing:))
    var deadMaxAge: DurationValue?

    var change: QueueConfigChange {
        QueueConfigChange(maxLength: maxLength, maxAttempts: maxAttempts, deadMax: deadMax, deadMaxAge: deadMaxAge?.milliseconds)
    }

    /// The settings as options, for a hint: ` --max-length 5 --dead-max-age 7d`.
    var arguments: String {
        var parts: [String] = []
        if let maxLength { parts.append("--max-length \(maxLength)") }
        if let maxAttempts { parts.append("--max-attempts \(maxAttempts)") }
        if let deadMax { parts.append("--dead-max \(deadMax)") }
        if let deadMaxAge { parts.append("--dead-max-age \(deadMaxAge)") }
        return parts.isEmpty ? " --max-length N" : " " + parts.joined(separator: " ")
    }
}
