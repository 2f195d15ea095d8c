import ArgumentParser
import MQCore
import MQFormat
import MQParsing

extension MQCtl.Streams {
    struct Claim: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "claim",
            abstract: "Give entries idle too long to another consumer (XAUTOCLAIM). (Changes data.)",
            discussion: "Example: mqctl streams claim events:orders billing --to rescuer --idle 10m --dry-run")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The group.") var group: String
        @Option(help: "The consumer that takes them.") var to: String
        @Option(help: "Only entries idle at least this long.", transform: DurationValue.init(parsing:)) var idle: DurationValue
        @Flag(help: "List what would be claimed; change nothing.") var dryRun = false

        func run(in context: CommandContext) throws {
            let streams = MQCore.Streams(connection: try context.connection())
            let ids = dryRun
                ? try streams.pending(stream, group: group, minIdle: idle.milliseconds, limit: 10_000).map(\.id)
                : try streams.claim(stream, group: group, to: to, minIdle: idle.milliseconds)
            if !dryRun {
                try context.broker().audit(AuditEntry(command: "streams claim", counts: [("claimed", ids.count)], detail: "\(stream) \(group) to=\(to)"))
            }
            try context.output { $0.single([
                "claimed": .int(Int64(ids.count)), "dry_run": .bool(dryRun), "ids": .list(ids.prefix(100).map { .string($0) }),
            ]) }
        }
    }
}
