import ArgumentParser
import MQCore
import MQFormat
import MQParsing

extension MQCtl {
    struct Streams: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect and repair Redis Streams consumer groups.",
            discussion: """
                Lag is the number of entries a group has not been handed yet. Redis reports \
                none after an entry the group has not read was deleted (XDEL, XTRIM); mqctl \
                then counts the entries after the group's last-delivered-id itself, up to \
                10,000, and marks the figure: ~N in tables (counted), >=N when the count \
                stopped at its cap; lag_estimated and lag_source in JSON.

                Example: mqctl streams groups events:orders
                """,
            subcommands: [List.self, Groups.self, Group.self, Consumers.self, Pending.self, Claim.self, Dead.self,
                          DelConsumer.self, Replay.self])
    }
}

extension MQCtl.Streams {
    /// A group's lag as a cell: a number as Redis gave it, `~N` when mqctl
    /// counted it, `>=N` when the count stopped at its cap. JSON and CSV
    /// get the number, with `lag_estimated` and `lag_source` beside it.
    static func lagCell(_ group: StreamGroup?, table: Bool) -> FieldValue {
        guard let group, let lag = group.lag else { return .null }
        guard table else { return .int(lag) }
        switch group.lagSource {
        case .counted: return .string("~\(lag)")
        case .countedCapped: return .string(">=\(lag)")
        case .redis, nil: return .int(lag)
        }
    }

    /// Runs `body`, turning the core's refusals into mqctl's exit codes:
    /// 1 for what does not exist or already does, 64 for what the command
    /// line asks that cannot be done, 65 for a key of another type.
    static func refusals<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StreamsError {
            switch error {
            case .invalidStartID, .crossSlot: throw UsageError("\(error)")
            case .notAStream(let key, let type): throw MQError.wrongKeyType(key: key, expected: "stream", actual: type)
            case .noSuchStream, .noSuchGroup, .groupExists: throw CommandFailure("\(error)")
            }
        }
    }
}

extension MQCtl.Streams {
    struct Groups: MQCommand {
        static let configuration = CommandConfiguration(
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

    struct Consumers: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "A group's consumers with their idle time and pending count.",
            discussion: "Example: mqctl streams consumers events:orders billing")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The group.") var group: String

        func run(in context: CommandContext) throws {
            let consumers = try MQCore.Streams(connection: context.connection()).consumers(stream, group: group)
            try context.output { renderer in
                renderer.beginList(key: "consumers", columns: [
                    Column("name"), Column("pending", rightAligned: true), Column("idle_seconds", rightAligned: true),
                ])
                for consumer in consumers {
                    renderer.row(["name": .string(consumer.name), "pending": .int(consumer.pending), "idle_seconds": .seconds(consumer.idleSeconds)])
                }
                renderer.endList()
            }
        }
    }

    struct Pending: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "A group's pending entries, oldest first, with their delivery counts.",
            discussion: "Example: mqctl streams pending events:orders billing --idle 10m --limit 20")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The group.") var group: String
        @Option(help: "Only entries idle at least this long.", transform: DurationValue.init(parsing:)) var idle: DurationValue?
        @Option(help: "Only this consumer's entries.") var consumer: String?
        @Option(help: "At most N entries.") var limit = 100

        func run(in context: CommandContext) throws {
            let entries = try MQCore.Streams(connection: context.connection())
                .pending(stream, group: group, minIdle: idle?.milliseconds, consumer: consumer, limit: limit)
            try context.output { renderer in
                renderer.beginList(key: "pending", columns: [
                    Column("id"), Column("consumer"), Column("idle_seconds", rightAligned: true),
                    Column("deliveries", rightAligned: true),
                ])
                for entry in entries {
                    renderer.row(["id": .string(entry.id), "consumer": .string(entry.consumer),
                                  "idle_seconds": .seconds(entry.idleSeconds), "deliveries": .int(entry.deliveries)])
                }
                renderer.endList()
            }
        }
    }

    struct Claim: MQCommand {
        static let configuration = CommandConfiguration(
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

    struct Dead: MQCommand {
        static let configuration = CommandConfiguration(
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
