import ArgumentParser
import MQCore
import MQFormat
import MQParsing

extension MQCtl {
    struct Queues: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, create, configure, pause, resume and delete queues.",
            discussion: "Example: mqctl queues create orders --max-length 100000",
            subcommands: [List.self, Create.self, Config.self, Pause.self, Resume.self, Delete.self])
    }
}

/// The settings a queue can be given at creation or later.
struct QueueConfigOptions: ParsableArguments {
    @Option(help: "Ready plus delayed messages allowed; 0 for no limit.")
    var maxLength: Int64?

    @Option(help: "Attempts before a message is dead-lettered (default 25).")
    var maxAttempts: Int64?

    @Option(help: "Dead letters kept (default 10000); 0 for no limit.")
    var deadMax: Int64?

    @Option(help: "Age after which dead letters are dropped, e.g. 30d (default 180d); 0s for no limit.", transform: DurationValue.init(parsing:))
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

extension MQCtl.Queues {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "List known queues with their size and settings.",
            discussion: "Example: mqctl queues list -o csv")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        func run(in context: CommandContext) throws {
            let stats = try context.broker().stats()
            try context.output { renderer in
                renderer.beginList(key: "queues", columns: [
                    Column("queue"), Column("messages", rightAligned: true), Column("paused"),
                    Column("max_length", rightAligned: true), Column("max_attempts", rightAligned: true),
                ])
                for queue in stats {
                    var record = QueueConfigRecord.make(queue.queue, queue.config)
                    let messages = queue.ready + queue.delayed + queue.retry + queue.inflight + queue.dead
                    record.fields.insert(("messages", .int(messages)), at: 1)
                    renderer.row(record)
                }
                renderer.endList()
            }
        }
    }

    struct Create: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a new queue and set its settings. (Changes data.)",
            discussion: """
                A queue that exists is refused (exit 1) with its settings unchanged: \
                `mqctl queues config` changes settings.

                Example: mqctl queues create orders --max-length 100000 --max-attempts 10
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @OptionGroup var settings: QueueConfigOptions

        func run(in context: CommandContext) throws {
            let queue = try QueueName(queue)
            let broker = try context.broker()
            // Creating is not configuring: settings are changed on purpose, with `queues config`.
            if (try? broker.requireQueue(queue)) != nil {
                throw CommandFailure("queue '\(queue)' already exists; its settings were not changed",
                                     hint: "change them with `mqctl queues config \(queue)\(settings.arguments)`")
            }
            let config = try broker.createQueue(queue, settings.change)
            context.audit(AuditEntry(command: "queues create", queue: queue.rawValue), broker)
            try context.output { $0.single(QueueConfigRecord.make(queue, config)) }
        }
    }

    struct Config: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a queue's settings, or change them. (Changes data when given settings.)",
            discussion: "Example: mqctl queues config orders --max-length 0   # remove the limit")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @OptionGroup var settings: QueueConfigOptions

        func run(in context: CommandContext) throws {
            let queue = try QueueName(queue)
            let broker = try context.broker()
            let config: QueueConfig
            if settings.change.isEmpty {
                try broker.requireQueue(queue)
                config = try broker.config(queue)
            } else {
                config = try broker.configure(queue, settings.change)
                context.audit(AuditEntry(command: "queues config", queue: queue.rawValue), broker)
            }
            try context.output { $0.single(QueueConfigRecord.make(queue, config)) }
        }
    }

    struct Pause: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop workers fetching from a queue; enqueueing goes on. (Changes data.)",
            discussion: "Example: mqctl queues pause orders")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String

        func run(in context: CommandContext) throws {
            try setPaused(queue, true, context)
        }
    }

    struct Resume: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let workers fetch from a paused queue again. (Changes data.)",
            discussion: "Example: mqctl queues resume orders")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String

        func run(in context: CommandContext) throws {
            try setPaused(queue, false, context)
        }
    }

    struct Delete: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a queue and every key it owns. (Destroys data.)",
            discussion: """
                A queue that still holds messages is refused unless --force. Asks on a \
                terminal; elsewhere needs --yes.

                Example: mqctl queues delete old-orders --force --yes
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @Flag(help: "Delete the queue's messages too.") var force = false

        func run(in context: CommandContext) throws {
            let queue = try QueueName(queue)
            let broker = try context.broker()
            // Refused before asking, and checked once: the confirmation
            // names the count.
            let messages = try broker.checkDeletable(queue, force: force)
            try context.confirm(messages == 0 ? "Delete the empty queue '\(queue)'?"
                                    : "Delete queue '\(queue)' and its \(BulkReport.grouped(Int(messages))) message\(messages == 1 ? "" : "s")?")
            let keys = try broker.removeQueue(queue)
            context.audit(AuditEntry(command: "queues delete", queue: queue.rawValue, counts: [("messages", Int(messages)), ("keys", keys)]), broker)
            try context.output { $0.single(["queue": .string(queue.rawValue), "deleted_messages": .int(messages), "deleted_keys": .int(Int64(keys))]) }
        }
    }
}

private func setPaused(_ name: String, _ paused: Bool, _ context: CommandContext) throws {
    let queue = try QueueName(name)
    let broker = try context.broker()
    try broker.setPaused(queue, paused)
    context.audit(AuditEntry(command: paused ? "queues pause" : "queues resume", queue: queue.rawValue), broker)
    try context.output { $0.single(["queue": .string(queue.rawValue), "paused": .bool(paused)]) }
}
