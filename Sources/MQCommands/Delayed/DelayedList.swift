import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Delayed {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List delayed messages by run-at time, soonest first.",
            discussion: "Streams in pages of 1000, so any number of messages lists in constant memory.\n\nExample: mqctl delayed list orders -o ndjson")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @OptionGroup var missing: MissingQueueOption
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @Option(help: "At most this many, soonest first (default: all).") var limit: Int?

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                return try LayoutActions.list(layoutQueue, .delayed, limit: limit, context: context)
            }
            let broker = try context.broker()
            let queue = try QueueName(queue)
            let now = broker.time.nowMilliseconds()
            let renderer = context.quiet ? nil : try context.renderer()
            renderer?.beginList(key: "delayed", columns: [Column("id"), Column("run_at"), Column("due_in_seconds", rightAligned: true)])
            try broker.scheduled(queue, in: .delayed, limit: limit) { page in
                for (id, runAt) in page {
                    renderer?.row(["id": .string(id), "run_at": .time(runAt), "due_in_seconds": .seconds(Double(runAt - now) / 1000)])
                }
                context.stdout.flushIfLarge()
            }
            renderer?.endList()
        }
    }
}
