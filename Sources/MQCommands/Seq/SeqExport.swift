import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Seq {
    struct Export: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
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
}
