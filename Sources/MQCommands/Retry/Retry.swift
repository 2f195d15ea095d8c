import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List messages waiting to be retried, run them now, or kill them.",
            discussion: "Example: mqctl retry list orders",
            subcommands: [List.self, RunNow.self, Kill.self])
    }
}

/// The retry ids a command works on: the ids given, or --all.
struct RetrySelection: ParsableArguments {
    @Argument(help: "Message ids.") var ids: [String] = []
    @Flag(help: "Every message waiting for a retry.") var all = false

    func validate() throws {
        guard ids.isEmpty != !all else { throw ValidationError("give message ids or --all, one of them") }
    }

    @Flag(help: "Count what would move; change nothing.") var dryRun = false

    var choice: WaitingChoice {
        WaitingChoice(state: .retry, place: "waiting for a retry", ids: ids, all: all)
    }

    /// The same choice for a layout queue.
    var layoutSelection: LayoutActions.Selection {
        LayoutActions.Selection(ids: ids, description: all ? "all" : "ids=\(ids.count)")
    }

    /// The ids, in batches; with --all read page by page from the retry set.
    func forEachBatch(_ broker: Broker, _ queue: QueueName, body: ([String]) throws -> Void) throws {
        guard all else { return try body(ids) }
        // Each batch leaves the set, so the first page is always the next
        // one; a batch that moved nothing ends the loop.
        var previous: [String] = []
        while true {
            let page = try broker.scheduledPage(queue, in: .retry, count: Broker.batchSize).map(\.id)
            guard !page.isEmpty, page != previous else { return }
            try body(page)
            previous = page
        }
    }
}

extension MQCtl.Retry {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "List messages waiting for a retry, soonest first, with their last error.",
            discussion: "Streams in pages, in constant memory.\n\nExample: mqctl retry list orders -o ndjson")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @OptionGroup var missing: MissingQueueOption
        @Argument(help: "The queue.", completion: .queueNames) var queue: String

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                return try LayoutActions.list(layoutQueue, .retry, limit: nil, context: context)
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
            try broker.scheduled(queue, in: .retry, pageSize: Broker.batchSize) { page in
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

    struct RunNow: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-now",
            abstract: "Make messages waiting for a retry ready now. (Changes data.)",
            discussion: "--dry-run shows what would move (would_move) and changes nothing.\n\nExample: mqctl retry run-now orders --all")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @OptionGroup var missing: MissingQueueOption
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @OptionGroup var selection: RetrySelection

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                return try LayoutActions.move("retry run-now", layoutQueue, from: .retry, to: .ready, asRetry: true, selection: selection.layoutSelection,
                                              dryRun: selection.dryRun, context: context)
            }
            try moveWaiting("retry run-now", queue: queue, choice: selection.choice, dryRun: selection.dryRun, context: context,
                            batches: selection.forEachBatch, move: { try $0.runNow($1, ids: $2, from: .retry) })
        }
    }

    struct Kill: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move messages waiting for a retry to the dead letters now. (Changes data.)",
            discussion: "Their last error is kept; the dead-letter caps apply. --dry-run shows what would move (would_move) and changes nothing.\n\nExample: mqctl retry kill orders 01JD3X0Q6T4Z8M2N5P7R9S1V3W")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @OptionGroup var missing: MissingQueueOption
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @OptionGroup var selection: RetrySelection

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                return try LayoutActions.move("retry kill", layoutQueue, from: .retry, to: .dead, selection: selection.layoutSelection,
                                              dryRun: selection.dryRun, context: context)
            }
            try moveWaiting("retry kill", queue: queue, choice: selection.choice, dryRun: selection.dryRun, context: context,
                            batches: selection.forEachBatch) { broker, queue, ids in
                let ids = try ids.map(MessageID.validate)
                let killed = try broker.kill(queue, ids: ids, from: .retry, error: nil).killed
                return MoveResult(moved: killed.filter { $0 }.count, notFound: zip(ids, killed).filter { !$0.1 }.map(\.0))
            }
        }
    }
}
