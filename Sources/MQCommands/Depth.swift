import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQParsing
import MQRedis

extension MQCtl {
    struct Depth: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "depth",
            abstract: "Length of any list, sorted set, set, stream or hash matching patterns, with totals; or with --ttl, how they expire.",
            discussion: """
                For queues in layouts that are not mqctl's. Each pattern is SCANned; TYPE and the \
                length commands go pipelined. --due also counts, in sorted sets scored by time, \
                the members due now (scores below 10^11 are read as seconds, else milliseconds).

                --ttl summarises instead how the matching keys expire, whatever they hold \
                (heartbeats set with SETEX, idempotency keys): one row per pattern with the keys \
                matched, how many have a TTL and how many have none, and a histogram of the time \
                left: <10s, <1m, <5m, <1h, <1d, >=1d. --expiring-within D adds how many expire \
                within D. Only PTTL is read, pipelined per SCAN page of 1,000 keys; a key gone \
                between SCAN and PTTL is counted as vanished, not as a key. In JSON: \
                {"patterns": [{"pattern", "keys", "with_ttl", "without_ttl", "vanished", \
                "buckets": {"lt_10s", ..., "ge_1d"}, "soonest_seconds", "latest_seconds", \
                "expiring_within_seconds", "expiring"}]}.

                Examples:
                  mqctl depth 'courier:queue:*' 'courier:retry' --due --watch
                  mqctl depth 'hb:*' --ttl --expiring-within 30s
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "Key patterns (SCAN MATCH).") var patterns: [String]
        @Flag(help: "Count the due members of time-scored sorted sets.") var due = false
        @Flag(help: "Summarise the keys' TTLs instead of their lengths.") var ttl = false
        @Option(help: "With --ttl: also count the keys that expire within this duration.", transform: DurationValue.init(parsing:))
        var expiringWithin: DurationValue?
        @Flag(help: "Redraw every --interval until interrupted.") var watch = false
        @Option(help: "Time between redraws with --watch (default 2s).", transform: DurationValue.init(parsing:))
        var interval = DurationValue(milliseconds: 2000)

        func validate() throws {
            guard !patterns.isEmpty else { throw ValidationError("give at least one key pattern") }
            guard !(ttl && due) else { throw ValidationError("--due counts lengths and --ttl expiries; give one of them") }
            guard expiringWithin == nil || ttl else { throw ValidationError("--expiring-within goes with --ttl") }
        }

        func run(in context: CommandContext) throws {
            let inspector = DepthInspector(connection: try context.connection())
            guard watch else { return try render(inspector, context, context.quiet ? nil : try context.renderer()) }
            try Watch(context, interval: interval, title: "mqctl depth \(patterns.joined(separator: " "))")
                .run(on: inspector.connection) { try render(inspector, context, $0) }
        }

        private func render(_ inspector: DepthInspector, _ context: CommandContext, _ renderer: Renderer?) throws {
            if ttl { return try renderTTL(inspector, context, renderer) }
            let now = SystemTime().nowMilliseconds()
            var totals: [FieldValue] = []
            renderer?.beginList(key: "keys", columns: [
                Column("key"), Column("type"), Column("length", rightAligned: true), Column("due", rightAligned: true),
            ])
            for pattern in patterns {
                let sum = try inspector.depth(pattern, due: due, nowMilliseconds: now) { key in
                    renderer?.row([
                        "key": .string(key.key), "type": .string(key.type), "length": key.length.map { .int($0) } ?? .null,
                        "due": key.due.map { .int($0) } ?? .null,
                    ])
                }
                totals.append(.object(["pattern": .string(pattern), "keys": .int(Int64(sum.keys)), "total": .int(sum.total)]))
            }
            renderer?.endList(["patterns": .list(totals)])
            if context.format.isTable, let renderer {
                context.stdout.write("\n")
                renderer.beginList(key: "patterns", columns: [Column("pattern"), Column("keys", rightAligned: true), Column("total", rightAligned: true)])
                for case .object(let record) in totals { renderer.row(record) }
                renderer.endList()
            }
        }

        /// One row per pattern: keys, with and without a TTL, the histogram.
        private func renderTTL(_ inspector: DepthInspector, _ context: CommandContext, _ renderer: Renderer?) throws {
            let window = expiringWithin?.milliseconds
            var columns = [Column("pattern"), Column("keys", rightAligned: true), Column("with_ttl", rightAligned: true),
                           Column("without_ttl", rightAligned: true)]
            let names = TTLSummary.bucketBounds.map(\.name) + [TTLSummary.lastBucket]
            columns += names.map { Column("buckets.\($0)", rightAligned: true) }
            if expiringWithin != nil {
                columns.append(Column("expiring", rightAligned: true))
            }
            columns.append(Column("vanished", rightAligned: true))
            renderer?.beginList(key: "patterns", columns: columns)
            for pattern in patterns {
                let summary = try inspector.ttlSummary(pattern, expiringWithin: window)
                var record: Record = [
                    "pattern": .string(pattern), "keys": .int(Int64(summary.keys)),
                    "with_ttl": .int(Int64(summary.withTTL)), "without_ttl": .int(Int64(summary.withoutTTL)),
                    "vanished": .int(Int64(summary.vanished)),
                    "buckets": .object(Record(zip(names, summary.buckets).map { (name: $0, value: .int(Int64($1))) })),
                    "soonest_seconds": summary.soonestMilliseconds.map { .seconds(Double($0) / 1000) } ?? .null,
                    "latest_seconds": summary.latestMilliseconds.map { .seconds(Double($0) / 1000) } ?? .null,
                ]
                if let expiringWithin, let expiring = summary.expiringWithin {
                    record.fields += [("expiring_within_seconds", .seconds(expiringWithin.seconds)), ("expiring", .int(Int64(expiring)))]
                }
                renderer?.row(record)
            }
            renderer?.endList()
        }
    }
}
