import ArgumentParser
import MQCore

extension MQCtl.Retry {
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
}
