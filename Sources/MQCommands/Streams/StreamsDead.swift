import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Streams {
    struct Dead: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "dead",
            abstract: "Move entries delivered too often to a dead stream, acknowledging them here. (Changes data.)",
            discussion: """
                Each entry goes in one script: XADD to the dead stream (with source_stream, \
                source_id, group, deliveries, consumer and reason first, then its own fields) \
                and XACK here, so it is never both pending and dead. The stream itself is not \
                trimmed. Keep the dead stream in the same cluster slot (a hash tag in both \
                names) when running on Redis Cluster. `mqctl streams replay` moves them back.

                Example: mqctl streams dead events:orders billing --max-deliveries 5
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The group.") var group: String
        @Option(help: "Entries delivered at least this many times are dead.") var maxDeliveries: Int64
        @Option(help: "Where they go (default STREAM:dead).") var deadStream: String?
        @Flag(help: "List what would move; change nothing.") var dryRun = false

        func validate() throws {
            guard maxDeliveries >= 1 else { throw ValidationError("--max-deliveries must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            let target = deadStream ?? "\(stream):dead"
            let ids = try MQCore.Streams(connection: context.connection())
                .killOverdelivered(stream, group: group, maxDeliveries: maxDeliveries, deadStream: target, dryRun: dryRun)
            if !dryRun {
                try context.broker().audit(AuditEntry(command: "streams dead", counts: [("moved", ids.count)], detail: "\(stream) \(group) to=\(target)"))
            }
            try context.output { $0.single([
                "moved": .int(Int64(ids.count)), "dead_stream": .string(target), "dry_run": .bool(dryRun),
                "ids": .list(ids.prefix(100).map { .string($0) }),
            ]) }
        }
    }
}
