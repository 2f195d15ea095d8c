import ArgumentParser
import MQCore

extension MQCtl.Retry {
    struct Kill: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "kill",
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
