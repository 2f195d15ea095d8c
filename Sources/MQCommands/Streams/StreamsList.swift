import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQParsing
import MQRedis

extension MQCtl.Streams {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Streams with their length, groups, pending, worst lag, first and last id and age.",
            discussion: """
                PENDING adds up the groups' pending entries (delivered, not acknowledged); \
                MAX LAG is the lag of the group furthest behind (entries not yet delivered to \
                it), ~N when mqctl counted it because Redis reports none (after an XDEL), >=N \
                when that count stopped at 10,000. JSON has max_lag with lag_estimated.

                --watch redraws until Ctrl-C with rates from the change between two draws: \
                entries added per second for each stream (Redis 7's entries-added), and for \
                each group the new entries delivered per second (the change of entries-read) \
                and acknowledged per second (delivered minus the growth of the pending list, so \
                XGROUP DELCONSUMER and XAUTOCLAIM's cleanup of deleted entries count as acks). \
                '-' where Redis gives no counter, and on the first draw.

                Example: mqctl streams list --pattern 'events:*' --watch --interval 5s
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Option(help: "Key pattern (SCAN MATCH).") var pattern = "*"
        @Flag(help: "Redraw every --interval until interrupted, with per-second rates.") var watch = false
        @Option(help: "Time between redraws with --watch (default 2s).", transform: DurationValue.init(parsing:))
        var interval = DurationValue(milliseconds: 2000)

        func validate() throws {
            guard interval.milliseconds >= 100 else { throw ValidationError("--interval must be at least 100ms") }
        }

        func run(in context: CommandContext) throws {
            let streams = MQCore.Streams(connection: try context.connection())
            guard watch else {
                return try render(streams.list(matching: pattern, withGroups: true), in: context)
            }
            var previous: (streams: [StreamSummary], at: Double)?
            try Watch(context, interval: interval, title: "mqctl streams list  \(context.configuration)").run(on: streams.connection) { renderer in
                let current = try streams.list(matching: pattern, withGroups: true)
                let now = monotonicSeconds()
                try draw(current, previous: previous.map { ($0.streams, now - $0.at) }, renderer: renderer, in: context)
                previous = (current, now)
            }
        }

        static let columns = [
            Column("stream"), Column("length", rightAligned: true), Column("groups", rightAligned: true),
            Column("pending", rightAligned: true), Column("max_lag", rightAligned: true),
            Column("first_id"), Column("first_age_seconds", rightAligned: true),
            Column("last_id"), Column("last_age_seconds", rightAligned: true),
        ]

        /// One stream's row; `table` marks counted lags with ~ or >=.
        static func record(_ stream: StreamSummary, now: Int64, table: Bool) -> Record {
            func age(_ id: String?) -> FieldValue {
                id.flatMap(MQCore.Streams.milliseconds(of:)).map { .seconds(Double(now - $0) / 1000) } ?? .null
            }
            let groups = stream.groupStates ?? []
            let worst = groups.filter { $0.lag != nil }.max { $0.lag! < $1.lag! }
            return [
                "stream": .string(stream.key), "length": .int(stream.length), "groups": .int(stream.groups),
                "pending": .int(groups.reduce(0) { $0 + $1.pending }),
                "max_lag": MQCtl.Streams.lagCell(worst, table: table), "lag_estimated": .bool(worst?.lagEstimated ?? false),
                "first_id": stream.firstID.map { .string($0) } ?? .null, "first_age_seconds": age(stream.firstID),
                "last_id": stream.lastID.map { .string($0) } ?? .null, "last_age_seconds": age(stream.lastID),
                "entries_added": stream.entriesAdded.map { .int($0) } ?? .null,
            ]
        }

        private func render(_ streams: [StreamSummary], in context: CommandContext) throws {
            let now = SystemTime().nowMilliseconds()
            let table = context.format.isTable
            try context.output { renderer in
                renderer.beginList(key: "streams", columns: Self.columns + (table ? [] : [Column("lag_estimated"), Column("entries_added")]))
                for stream in streams { renderer.row(Self.record(stream, now: now, table: table)) }
                renderer.endList()
            }
        }

        /// The --watch screen: streams with their add rate, then every
        /// group with its delivery and ack rates.
        private func draw(_ streams: [StreamSummary], previous: (streams: [StreamSummary], elapsed: Double)?,
                          renderer: Renderer, in context: CommandContext) throws {
            let now = SystemTime().nowMilliseconds()
            func rate(_ after: Int64?, _ before: Int64?) -> FieldValue {
                guard let after, let before, let elapsed = previous?.elapsed, elapsed > 0, after >= before else { return .null }
                return .double(Double(after - before) / elapsed)
            }
            renderer.beginList(key: "streams", columns: [
                Column("stream"), Column("length", rightAligned: true), Column("groups", rightAligned: true),
                Column("pending", rightAligned: true), Column("max_lag", rightAligned: true),
                Column("last_age_seconds", rightAligned: true),
                Column("added_per_s", rightAligned: true),
            ])
            for stream in streams {
                var record = Self.record(stream, now: now, table: context.format.isTable)
                let before = previous?.streams.first { $0.key == stream.key }
                record.fields.append(("added_per_s", rate(stream.entriesAdded, before?.entriesAdded)))
                renderer.row(record)
            }
            renderer.endList()
            if context.format.isTable { context.stdout.write("\n") }
            renderer.beginList(key: "groups", columns: [
                Column("stream"), Column("group"), Column("consumers", rightAligned: true),
                Column("pending", rightAligned: true), Column("lag", rightAligned: true),
                Column("oldest_pending_idle_seconds", rightAligned: true),
                Column("delivered_per_s", rightAligned: true),
                Column("acked_per_s", rightAligned: true),
            ])
            for stream in streams {
                let earlier = previous?.streams.first { $0.key == stream.key }?.groupStates ?? []
                for group in stream.groupStates ?? [] {
                    let before = earlier.first { $0.name == group.name }
                    let delivered = rate(group.entriesRead, before?.entriesRead)
                    var acked = FieldValue.null
                    if let before, let read = group.entriesRead, let readBefore = before.entriesRead {
                        // Every new delivery joins the pending list; what left it was acknowledged.
                        acked = rate((read - readBefore) - (group.pending - before.pending), 0)
                    }
                    renderer.row([
                        "stream": .string(stream.key), "group": .string(group.name), "consumers": .int(group.consumers),
                        "pending": .int(group.pending), "lag": MQCtl.Streams.lagCell(group, table: context.format.isTable),
                        "oldest_pending_idle_seconds": group.oldestPendingIdleSeconds.map { .seconds($0) } ?? .null,
                        "delivered_per_s": delivered, "acked_per_s": acked,
                    ])
                }
            }
            renderer.endList()
        }
    }
}
