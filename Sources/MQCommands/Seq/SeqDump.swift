import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Seq {
    struct Dump: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "dump",
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
}
