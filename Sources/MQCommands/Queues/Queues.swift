import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Queues: ParsableCommand {
        static let configuration = CommandConfiguration(
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
