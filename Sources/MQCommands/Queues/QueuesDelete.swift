import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Queues {
    struct Delete: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Delete a queue and every key it owns. (Destroys data.)",
            discussion: """
                A queue that still holds messages is refused unless --force. Asks on a \
                terminal; elsewhere needs --yes.

                Example: mqctl queues delete old-orders   # asks first; refused while it holds messages unless --force
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
