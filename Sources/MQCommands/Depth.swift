import ArgumentParser
import Foundation
import MQCore
import MQFormat
import MQParsing
import MQRedis

extension MQCtl {
    struct Depth: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Length of any list, sorted set, set, stream or hash matching patterns, with totals.",
            discussion: """
                For queues in layouts that are not mqctl's. Each pattern is SCANned; TYPE and the \
                length commands go pipelined. --due also counts, in sorted sets scored by time, \
                the members due now (scores below 10^11 are read as seconds, else milliseconds).

                Example: mqctl depth 'courier:queue:*' 'courier:retry' --due --watch
                """)

        @OptionGroup var globals: GlobalOptions
        @Argument(help: "Key patterns (SCAN MATCH).") var patterns: [String]
        @Flag(help: "Count the due members of time-scored sorted sets.") var due = false
        @Flag(help: "Redraw every --interval until interrupted.") var watch = false
        @Option(help: "Time between redraws with --watch (default 2s).", transform: DurationValue.init(parsing:))
        var interval = DurationValue(milliseconds: 2000)

        func validate() throws {
            guard !patterns.isEmpty else { throw ValidationError("give at least one key pattern") }
        }

        func run(in context: CommandContext) throws {
            let inspector = DepthInspector(connection: try context.connection())
            guard watch else { return try render(inspector, context) }
            guard context.format == .table else { throw UsageError("--watch draws a table; leave out --format") }
            while !Interruption.requested {
                try inspector.connection.withReconnect { _ in
                    context.stdout.write("\u{1B}[H\u{1B}[2J")
                    try render(inspector, context)
                }
                context.stdout.flush()
                Interruption.sleep(interval.seconds)
            }
        }

        private func render(_ inspector: DepthInspector, _ context: CommandContext) throws {
            let renderer = context.quiet ? nil : try context.renderer()
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
            if context.format == .table, let renderer {
                context.stdout.write("\n")
                renderer.beginList(key: "patterns", columns: [Column("pattern"), Column("keys", rightAligned: true), Column("total", rightAligned: true)])
                for case .object(let record) in totals { renderer.row(record) }
                renderer.endList()
            }
        }
    }
}
