import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Retry {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List messages waiting for a retry, soonest first, with their last error.",
            discussion: "Streams in pages, in constant memory.\n\nExample: mqctl retry list orders -o ndjson")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @OptionGroup var missing: MissingQueueOption
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @Option(help: "At most this many, soonest first (default: all).") var limit: Int?

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                return try LayoutActions.list(layoutQueue, .retry, limit: limit, context: context)
            }
            let queue = try QueueName(queue)
            let broker = try context.broker()
            let now = broker.time.nowMilliseconds()
            let table = context.format.isTable
            let renderer = context.quiet ? nil : try context.renderer()
            renderer?.beginList(key: "retry", columns: [
                Column("id"), Column("retry_at"), Column("due_in_seconds", rightAligned: true),
                Column("attempts", rightAligned: true), Column("last_error"),
            ])
            try broker.scheduled(queue, in: .retry, pageSize: Broker.batchSize, limit: limit) { page in
                let envelopes = try broker.readEnvelopes(queue, ids: page.map(\.id))
                for (item, read) in zip(page, envelopes) {
                    let error = read.envelope?.lastError ?? read.problem.map { "(\($0))" } ?? ""
                    renderer?.row([
                        "id": .string(item.id), "retry_at": .time(item.score),
                        "due_in_seconds": .seconds(Double(item.score - now) / 1000),
                        "attempts": read.envelope.map { .int($0.attempts) } ?? .null,
                        "last_error": .string(table ? firstLine(error) : error),
                    ])
                }
                context.stdout.flushIfLarge()
            }
            renderer?.endList()
        }
    }
}
