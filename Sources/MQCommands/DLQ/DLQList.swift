import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.DLQ {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List dead letters, newest first, paged with a cursor.",
            discussion: """
                Tables show 100 by default; json, ndjson and csv list every match, streamed in \
                constant memory, unless --limit is given. JSON ends with next_cursor: pass it \
                to --cursor for the next page (null at the end).

                Example: mqctl dlq list orders --error 'timeout|refused' --newer-than 1h -o ndjson
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @OptionGroup var filters: DeadLetterFilterOptions
        @Option(help: "At most this many (default: 100 in tables, all otherwise).") var limit: Int?
        @Option(help: "Continue after this position, as printed by a previous page.") var cursor: String?
        @OptionGroup var missing: MissingQueueOption

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                guard cursor == nil else { throw UsageError("--cursor pages mqctl's own queues; page a layout queue with --limit and filters") }
                return try LayoutActions.list(layoutQueue, .dead, filter: try filters.filter(), limit: limit ?? (context.format.isTable ? 100 : nil), context: context)
            }
            let queue = try QueueName(queue)
            let broker = try context.broker()
            let table = context.format.isTable
            let limit = self.limit ?? (table ? 100 : nil)
            let start = try cursor.map(DeadLetterCursor.init(parsing:))
            let now = broker.time.nowMilliseconds()
            let renderer = context.quiet ? nil : try context.renderer()
            renderer?.beginList(key: "items", columns: DeadLetterRecords.columns)
            let next = try broker.deadLetters(queue, filter: try filters.filter(), after: start, limit: limit) { letter in
                renderer?.row(DeadLetterRecords.row(letter, now: now, table: table))
                context.stdout.flushIfLarge()
            }
            renderer?.endList(["next_cursor": next.map { .string($0.description) } ?? .null])
            if table, let next, context.stderr.isTerminal {
                context.stderr.write("more: --cursor \(next)\n")
            }
        }
    }
}
