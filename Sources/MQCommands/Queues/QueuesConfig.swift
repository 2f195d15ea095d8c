import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Queues {
    struct Config: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "config",
            abstract: "Show a queue's settings, or change them. (Changes data when given settings.)",
            discussion: """
                Without settings, shows them; a setting left out stays as it is.

                Example: mqctl queues config orders --max-length 0   # remove the limit
                """)

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
}
