import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Streams {
    struct DelConsumer: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "delconsumer",
            abstract: "Delete a consumer from a group; refused while it has pending entries unless --force. (Changes data.)",
            discussion: "Example: mqctl streams delconsumer events:orders billing old-host-1")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The group.") var group: String
        @Argument(help: "The consumer.") var consumer: String
        @Flag(help: "Delete it even with pending entries (they stay pending, owned by nobody).") var force = false

        func run(in context: CommandContext) throws {
            let pending = try MQCore.Streams(connection: context.connection())
                .deleteConsumer(stream, group: group, consumer: consumer, force: force)
            try context.broker().audit(AuditEntry(command: "streams delconsumer", counts: [("pending", Int(pending))], detail: "\(stream) \(group) \(consumer)"))
            try context.output { $0.single(["consumer": .string(consumer), "deleted": .bool(true), "pending_dropped": .int(pending)]) }
        }
    }
}
