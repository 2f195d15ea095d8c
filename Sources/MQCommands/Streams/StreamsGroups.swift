import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Streams {
    struct Groups: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "groups",
            abstract: "A stream's consumer groups: consumers, pending, lag, last delivered id, oldest pending idle time.",
            discussion: """
                LAG is what the group has not been handed yet; ~N marks a lag mqctl counted \
                because Redis reports none (after an XDEL), >=N one whose count stopped at \
                10,000. JSON has lag, lag_estimated (true when mqctl counted it) and \
                lag_source (redis, counted or counted_capped), and entries_read.

                Example: mqctl streams groups events:orders
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String

        func run(in context: CommandContext) throws {
            let streams = MQCore.Streams(connection: try context.connection())
            try MQCtl.Streams.refusals { try streams.requireStream(stream) }
            let groups = try streams.groups(stream)
            let table = context.format.isTable
            try context.output { renderer in
                renderer.beginList(key: "groups", columns: [
                    Column("name"), Column("consumers", rightAligned: true), Column("pending", rightAligned: true),
                    Column("lag", rightAligned: true), Column("last_delivered_id"),
                    Column("oldest_pending_idle_seconds", rightAligned: true),
                ] + (table ? [] : [Column("lag_estimated"), Column("lag_source"), Column("entries_read")]))
                for group in groups {
                    renderer.row([
                        "name": .string(group.name), "consumers": .int(group.consumers), "pending": .int(group.pending),
                        "lag": MQCtl.Streams.lagCell(group, table: table), "last_delivered_id": .string(group.lastDeliveredID),
                        "oldest_pending_idle_seconds": group.oldestPendingIdleSeconds.map { .seconds($0) } ?? .null,
                        "lag_estimated": .bool(group.lagEstimated),
                        "lag_source": group.lagSource.map { .string($0.rawValue) } ?? .null,
                        "entries_read": group.entriesRead.map { .int($0) } ?? .null,
                    ])
                }
                renderer.endList()
            }
        }
    }
}
