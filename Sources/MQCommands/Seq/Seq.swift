import ArgumentParser
import Foundation
import MQCore
import MQFormat
import MQParsing

extension MQCtl {
    struct Seq: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seq",
            abstract: "Dump, read, advance, set, export and restore INCR sequence counters (seq:*).",
            discussion: "Example: mqctl seq dump --pattern 'seq:conv-*'",
            subcommands: [Dump.self, Get.self, Next.self, Set.self, Export.self, Restore.self])
    }
}

enum CounterRecords {
    static let columns = [Column("key"), Column("value", rightAligned: true), Column("ttl", rightAligned: true), Column("problem")]

    static func row(_ reading: CounterReading) -> Record {
        var record: Record = [
            "key": .string(reading.key), "value": reading.value.map { .int($0) } ?? .null,
            "ttl": reading.ttl.map { .int($0) } ?? .null,
        ]
        if let problem = reading.problem { record.fields.append(("problem", .string(problem))) }
        return record
    }
}

extension MQCtl.Seq {
    struct Dump: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "List counters with their values and TTLs, sorted by key.",
            discussion: """
                SCAN, then GET and TTL pipelined a thousand at a time. A key that holds no integer \
                is listed with its problem, never skipped.

                Example: mqctl seq dump --pattern 'seq:conv-*' -o ndjson
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Option(help: "Key pattern (SCAN MATCH).") var pattern = "seq:*"

        func run(in context: CommandContext) throws {
            let counters = SequenceCounters(connection: try context.connection())
            let renderer = context.quiet ? nil : try context.renderer()
            renderer?.beginList(key: "counters", columns: CounterRecords.columns)
            try counters.read(try counters.keys(matching: pattern)) { page in
                page.map(CounterRecords.row).forEach { renderer?.row($0) }
                context.stdout.flushIfLarge()
            }
            renderer?.endList()
        }
    }

    struct Get: MQCommand {
        static let configuration = CommandConfiguration(abstract: "Read one counter.", discussion: "Example: mqctl seq get seq:conv-42")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The counter's key.") var key: String

        func run(in context: CommandContext) throws {
            let reading = try SequenceCounters(connection: context.connection()).get(key)
            if reading.problem == "missing" { throw CommandFailure("no counter '\(key)'") }
            try context.output { $0.single(CounterRecords.row(reading)) }
            if let problem = reading.problem { throw MQError.notACounter(key: key, reason: problem) }
        }
    }

    struct Next: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hand out the next numbers of a counter (INCRBY). (Changes data.)",
            discussion: "Prints the first and last number handed out.\n\nExample: mqctl seq next seq:conv-42 --count 10")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The counter's key.") var key: String
        @Option(help: "How many numbers.") var count: Int64 = 1

        func validate() throws {
            guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            let range = try SequenceCounters(connection: context.connection()).next(key, count: count)
            try context.output { $0.single(["key": .string(key), "first": .int(range.first), "last": .int(range.last)]) }
        }
    }

    struct Set: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a counter; lowering it needs --allow-decrease and confirmation. (Changes data.)",
            discussion: """
                A lower counter hands out numbers again that were already used, so going down \
                is refused unless --allow-decrease, and then asks on a terminal (--yes elsewhere). \
                --if-equals makes it a compare-and-set. The TTL is kept.

                Example: mqctl seq set seq:conv-42 1000 --if-equals 998
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The counter's key.") var key: String
        @Argument(help: "The new value.") var value: Int64
        @Flag(help: "Allow the counter to go down.") var allowDecrease = false
        @Option(help: "Only if the counter holds this value now.") var ifEquals: Int64?

        func run(in context: CommandContext) throws {
            let connection = try context.connection()
            let counters = SequenceCounters(connection: connection)
            if allowDecrease, let current = try counters.get(key).value, value < current {
                try context.confirm("Lower '\(key)' from \(current) to \(value)? Numbers above \(value) will be handed out again.")
            }
            let outcome = try counters.set(key, to: value, allowDecrease: allowDecrease, ifEquals: ifEquals)
            switch outcome {
            case .set(let old):
                try Broker(connection: connection, prefix: context.prefix).audit(AuditEntry(
                    command: "seq set", counts: [("value", Int(value)), ("old", Int(old ?? 0))], detail: key))
                try context.output { $0.single(["key": .string(key), "value": .int(value), "old": old.map { .int($0) } ?? .null]) }
            case .wouldLower(let current):
                throw CommandFailure("'\(key)' is \(current); setting it to \(value) would hand out numbers again (use --allow-decrease); nothing changed")
            case .mismatch(let current):
                throw CommandFailure("'\(key)' is \(current ?? "unset"), not \(ifEquals.map(String.init) ?? ""); nothing changed")
            case .invalid(let current):
                throw MQError.notACounter(key: key, reason: "it holds '\(current.prefix(40))'; nothing changed")
            }
        }
    }

    struct Export: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write counters as JSON lines {\"key\", \"value\", \"ttl\"} for `seq restore`.",
            discussion: "Example: mqctl seq export > counters.jsonl")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Option(help: "Key pattern (SCAN MATCH).") var pattern = "seq:*"

        func run(in context: CommandContext) throws {
            let counters = SequenceCounters(connection: try context.connection())
            let lines = OutputFormat.ndjson.renderer(to: context.stdout)
            var skipped = 0
            try counters.read(try counters.keys(matching: pattern)) { page in
                for reading in page {
                    guard reading.value != nil else {
                        if reading.problem != "missing" {
                            skipped += 1
                            context.stderr.write("mqctl: error: '\(reading.key)' not exported: \(reading.problem ?? "")\n")
                        }
                        continue
                    }
                    lines.row(CounterRecords.row(reading))
                }
                context.stdout.flushIfLarge()
            }
            if skipped > 0 { throw CommandFailure("\(skipped) keys hold no integer and were left out") }
        }
    }

    struct Restore: MQCommand {
        static let configuration = CommandConfiguration(
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
