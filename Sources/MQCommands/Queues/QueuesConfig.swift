import ArgumentParser
import MQCore
import MQFormat
import MQParsing

extension MQCtl.Queues {
    struct Config: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a queue's settings, or change them. (Changes data when given settings.)",
            discussion: "Example: mqctl queues config orders --max-length 0   # remove the limit")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @OptionGroup var settings: QueueConfigChangeOptions

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
}

/// The settings `queues config` changes. Unlike `queues create`, which
/// gives a new queue the defaults, a setting left out is left as it is, so
/// none has a default here.
struct QueueConfigChangeOptions: ParsableArguments {
    @Option(help: "Ready plus delayed messages allowed; 0 for no limit. Left out: unchanged.")
    var maxLength: Int64?

    @Option(help: "Attempts before a message is dead-lettered. Left out: unchanged.")
    var maxAttempts: Int64?

    @Option(help: "Dead letters kept; 0 for no limit. Left out: unchanged.")
    var deadMax: Int64?

    @Option(help: "Age after which dead letters are dropped, e.g. 30d; 0s for no limit. Left out: unchanged.", transform: DurationValue.init(parsing:))
    var deadMaxAge: DurationValue?

    var change: QueueConfigChange {
        QueueConfigChange(maxLength: maxLength, maxAttempts: maxAttempts, deadMax: deadMax, deadMaxAge: deadMaxAge?.milliseconds)
    }
}
