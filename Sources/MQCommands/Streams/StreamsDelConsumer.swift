import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Streams {
    struct DelConsumer: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "delconsumer",
            abstract: "Delete a consumer from a group; refused while it has pending entries unless --claim-to or --force. (Changes data.)",
            discussion: """
                --claim-to hands the consumer's pending entries to another consumer of the \
                group (created if new) and deletes it, in one script; delivery counts are kept. \
                --force deletes it with its pending entries, which XGROUP DELCONSUMER drops \
                from the group: they stay in the stream, but no consumer is handed them again \
                and XPENDING no longer lists them (pending_dropped counts them).

                Example: mqctl streams delconsumer events:orders billing old-host-1 --claim-to host-2
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The group.") var group: String
        @Argument(help: "The consumer.") var consumer: String
        @Option(help: ArgumentHelp("Hand its pending entries to this consumer first, so none is dropped.", valueName: "consumer"))
        var claimTo: String?
        @Flag(help: "Delete it even with pending entries, dropping them from the group.") var force = false

        func validate() throws {
            guard !(force && claimTo != nil) else { throw ValidationError("give --claim-to or --force, not both") }
        }

        func run(in context: CommandContext) throws {
            let streams = MQCore.Streams(connection: try context.connection())
            if let claimTo {
                let moved = try streams.deleteConsumer(stream, group: group, consumer: consumer, handingOverTo: claimTo)
                try context.broker().audit(AuditEntry(command: "streams delconsumer", counts: [("claimed", Int(moved))],
                                                      detail: "\(stream) \(group) \(consumer) --claim-to \(claimTo)"))
                return try context.output { $0.single([
                    "consumer": .string(consumer), "deleted": .bool(true), "claimed": .int(moved), "claimed_by": .string(claimTo),
                    "pending_dropped": .int(0),
                ]) }
            }
            let pending = try streams.deleteConsumer(stream, group: group, consumer: consumer, force: force)
            try context.broker().audit(AuditEntry(command: "streams delconsumer", counts: [("pending", Int(pending))], detail: "\(stream) \(group) \(consumer)"))
            try context.output { $0.single(["consumer": .string(consumer), "deleted": .bool(true), "pending_dropped": .int(pending)]) }
        }
    }
}
