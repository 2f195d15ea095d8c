import ArgumentParser
import MQCore
import MQFormat
import MQParsing

extension MQCtl.Seq {
    struct Restore: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Restore exported counters without ever lowering one: max(current, saved + margin). (Changes data.)",
            discussion: """
                For after a failover or a migration, when INCR counters may have gone back. \
                Reports raised, kept and created; a created counter gets its saved TTL.

                --margin N adds N to every saved value first. An export is older than the \
                failover: the numbers handed out between the two would be handed out again by \
                a plain restore. Choose N above the most any counter can advance in that time. \
                A counter already at or above saved + N is kept, so running the same restore \
                twice adds nothing more.

                Examples:
                  mqctl seq restore < counters.jsonl
                  mqctl seq restore --margin 1000 < counters.jsonl
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Option(help: ArgumentHelp("Add N to each saved value first (0 to 999999999999999).", valueName: "n")) var margin: Int64 = 0

        func validate() throws {
            guard (0...SequenceCounters.largestMargin).contains(margin) else {
                throw ValidationError("--margin must be from 0 to \(SequenceCounters.largestMargin)")
            }
        }

        func run(in context: CommandContext) throws {
            let connection = try context.connection()
            let counters = SequenceCounters(connection: connection)
            var tally: [SequenceCounters.RestoreOutcome: Int] = [:]
            var invalidLines = 0
            var lineNumber = 0
            var batch: [(key: String, value: Int64, ttl: Int64?)] = []
            func flush() throws {
                for (counter, outcome) in zip(batch, try counters.restore(batch, margin: margin)) {
                    tally[outcome, default: 0] += 1
                    if outcome == .invalid {
                        context.stderr.write("mqctl: error: '\(counter.key)' holds no integer; not restored\n")
                    }
                }
                batch.removeAll(keepingCapacity: true)
            }
            while let read = context.stdin.nextLine() {
                lineNumber += 1
                do {
                    let line = try read.get()
                    if InputSource.isBlank(line) { continue }
                    let counter = try Self.counter(line)
                    guard SequenceCounters.restoredValue(counter.value, margin: margin) != nil else {
                        throw JSONInputError("\"value\" \(counter.value) plus --margin \(margin) is past the largest counter (\(Int64.max))")
                    }
                    batch.append(counter)
                } catch {
                    invalidLines += 1
                    context.stderr.write("mqctl: error: line \(lineNumber): \(error)\n")
                    continue
                }
                if batch.count == 1000 { try flush() }
            }
            if !batch.isEmpty { try flush() }
            let counts = [SequenceCounters.RestoreOutcome.raised, .kept, .created, .invalid].map { ($0.rawValue, tally[$0] ?? 0) }
            try Broker(connection: connection, prefix: context.prefix).audit(AuditEntry(
                command: "seq restore", counts: counts + [("margin", Int(margin))]))
            try context.output {
                $0.single(Record(counts.map { ($0.0, .int(Int64($0.1))) }
                    + [("invalid_lines", .int(Int64(invalidLines))), ("margin", .int(margin))]))
            }
            if invalidLines > 0 { throw ExitCode(ExitStatus.dataError.rawValue) }
            if (tally[.invalid] ?? 0) > 0 { throw ExitCode(ExitStatus.failure.rawValue) }
        }

        /// The most a restored counter's TTL may be: the longest duration.
        static let maximumTTLSeconds = DurationValue.maximum.milliseconds / 1000

        /// One line of `seq export`: {"key": "...", "value": N, "ttl": seconds or null}.
        /// The value must be a JSON integer within Int64 (1e30 or 1.5 would
        /// otherwise become some other number) and the TTL a bounded integer.
        static func counter(_ line: [UInt8]) throws -> (key: String, value: Int64, ttl: Int64?) {
            var key: String?
            var value: Int64?
            var ttl: Int64?
            for member in try JSONReader.object(line) where member.value != .null {
                switch member.name {
                case "key": key = try member.string()
                case "value": value = try member.integer(in: .min ... .max)
                case "ttl": ttl = try member.integer(in: 1...maximumTTLSeconds)
                // Other columns (`seq dump`'s "problem") say nothing a restore uses.
                default: continue
                }
            }
            guard let key, let value else { throw UsageError("expected {\"key\": \"...\", \"value\": N}") }
            return (key, value, ttl)
        }
    }
}
