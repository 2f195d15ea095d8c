import ArgumentParser
import MQCore
import MQFormat
import MQParsing

extension MQCtl {
    struct Streams: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect and repair Redis Streams consumer groups.",
            discussion: "Example: mqctl streams groups events:orders",
            subcommands: [List.self, Groups.self, Consumers.self, Pending.self, Claim.self, Dead.self, DelConsumer.self])
    }
}

extension MQCtl.Streams {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Streams with their length, first and last id and age, and groups.",
            discussion: "Example: mqctl streams list --pattern 'events:*'")

        @OptionGroup var globals: GlobalOptions
        @Option(help: "Key pattern (SCAN MATCH).") var pattern = "*"

        func run(in context: CommandContext) throws {
            let streams = try MQCore.Streams(connection: context.connection()).list(matching: pattern)
            let now = SystemTime().nowMilliseconds()
            func age(_ id: String?) -> FieldValue {
                id.flatMap(MQCore.Streams.milliseconds(of:)).map { .seconds(Double(now - $0) / 1000) } ?? .null
            }
            try context.output { renderer in
                renderer.beginList(key: "streams", columns: [
                    Column("stream"), Column("length", rightAligned: true), Column("groups", rightAligned: true),
                    Column("first_id"), Column("first_age_seconds", title: "FIRST AGE", rightAligned: true),
                    Column("last_id"), Column("last_age_seconds", title: "LAST AGE", rightAligned: true),
                ])
                for stream in streams {
                    renderer.row([
                        "stream": .string(stream.key), "length": .int(stream.length), "groups": .int(stream.groups),
                        "first_id": stream.firstID.map { .string($0) } ?? .null, "first_age_seconds": age(stream.firstID),
                        "last_id": stream.lastID.map { .string($0) } ?? .null, "last_age_seconds": age(stream.lastID),
                    ])
                }
                renderer.endList()
            }
        }
    }

    struct Groups: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "A stream's consumer groups: consumers, pending, lag, last delivered id, oldest pending idle time.",
            discussion: "Example: mqctl streams groups events:orders")

        @OptionGroup var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String

        func run(in context: CommandContext) throws {
            let groups = try MQCore.Streams(connection: context.connection()).groups(stream)
            try context.output { renderer in
                renderer.beginList(key: "groups", columns: [
                    Column("name"), Column("consumers", rightAligned: true), Column("pending", rightAligned: true),
                    Column("lag", rightAligned: true), Column("last_delivered_id"),
                    Column("oldest_pending_idle_seconds", title: "OLDEST PENDING", rightAligned: true),
                ])
                for group in groups {
                    renderer.row([
                        "name": .string(group.name), "consumers": .int(group.consumers), "pending": .int(group.pending),
                        "lag": group.lag.map { .int($0) } ?? .null, "last_delivered_id": .string(group.lastDeliveredID),
                        "oldest_pending_idle_seconds": group.oldestPendingIdleSeconds.map { .seconds($0) } ?? .null,
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

        @OptionGroup var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The group.") var group: String

        func run(in context: CommandContext) throws {
            let consumers = try MQCore.Streams(connection: context.connection()).consumers(stream, group: group)
            try context.output { renderer in
                renderer.beginList(key: "consumers", columns: [
                    Column("name"), Column("pending", rightAligned: true), Column("idle_seconds", title: "IDLE", rightAligned: true),
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

        @OptionGroup var globals: GlobalOptions
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
                    Column("id"), Column("consumer"), Column("idle_seconds", title: "IDLE", rightAligned: true),
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

        @OptionGroup var globals: GlobalOptions
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
                Each entry goes in one script: XADD to the dead stream (with source_id, group, \
                deliveries, consumer and reason) and XACK here, so it is never both pending and \
                dead. The stream itself is not trimmed. Keep the dead stream in the same cluster \
                slot (a hash tag in both names) when running on Redis Cluster.

                Example: mqctl streams dead events:orders billing --max-deliveries 5
                """)

        @OptionGroup var globals: GlobalOptions
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

        @OptionGroup var globals: GlobalOptions
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
