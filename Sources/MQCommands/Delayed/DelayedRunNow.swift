import ArgumentParser
import MQCore

extension MQCtl.Delayed {
    struct RunNow: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-now",
            abstract: "Make delayed messages ready now. (Changes data.)",
            discussion: """
                Ids that are not delayed are reported and exit 1. --dry-run shows what would \
                move (would_move) and changes nothing.

                Example: mqctl delayed run-now orders 01JD3X0Q6T4Z8M2N5P7R9S1V3W
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @OptionGroup var missing: MissingQueueOption
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @Argument(help: "Message ids.") var ids: [String]
        @Flag(help: "Count what would move; change nothing.") var dryRun = false

        func validate() throws {
            guard !ids.isEmpty else { throw ValidationError("give at least one message id") }
        }

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                return try LayoutActions.move("delayed run-now", layoutQueue, from: .delayed, to: .ready,
                                              selection: .init(ids: ids, description: "ids=\(ids.count)"), dryRun: dryRun, context: context)
            }
            try moveWaiting("delayed run-now", queue: queue, choice: WaitingChoice(state: .delayed, place: "delayed", ids: ids),
                            dryRun: dryRun, context: context,
                            batches: { _, _, body in try body(ids) }, move: { try $0.runNow($1, ids: $2) })
        }
    }
}
