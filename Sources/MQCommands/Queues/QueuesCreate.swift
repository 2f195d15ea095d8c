import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Queues {
    struct Create: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Register a new queue and set its settings. (Changes data.)",
            discussion: """
                A setting left out gets its default: no max_length, max_attempts 25, \
                dead_max 10000, dead_max_age 180d. A queue that exists is refused (exit 1) \
                with its settings unchanged: `mqctl queues config` changes settings.

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
