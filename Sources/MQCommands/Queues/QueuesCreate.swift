import ArgumentParser
import MQCore
import MQFormat
import MQParsing

extension MQCtl.Queues {
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
}

/// The settings of a new queue; one left out gets its default.
/// `queues config` has its own (`QueueConfigChangeOptions`), where one
/// left out is left unchanged.
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
