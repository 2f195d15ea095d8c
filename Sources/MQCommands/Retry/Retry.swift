import ArgumentParser
import MQCore

extension MQCtl {
    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
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
