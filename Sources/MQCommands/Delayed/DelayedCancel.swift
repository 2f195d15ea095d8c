import ArgumentParser
import MQCore

extension MQCtl.Delayed {
    struct Cancel: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel",
            abstract: "Delete delayed messages before they run. (Destroys data.)",
            discussion: """
                Asks on a terminal, naming the count ("Delete 3 delayed messages of 'orders'? \
                [y/N]"); elsewhere needs --yes, and exits 64 having deleted nothing without it. \
                --dry-run shows what would go (would_delete) and changes nothing. Ids that are \
                not delayed are reported and exit 1.

                Example: mqctl delayed cancel orders 01JD3X0Q6T4Z8M2N5P7R9S1V3W
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @OptionGroup var missing: MissingQueueOption
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @Argument(help: "Message ids.") var ids: [String]
        @Flag(help: "Count what would be deleted; change nothing.") var dryRun = false

        func validate() throws {
            guard !ids.isEmpty else { throw ValidationError("give at least one message id") }
        }

        func run(in context: CommandContext) throws {
            let rule = dryRun ? ConfirmationRule.never : .always
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                let name = "'\(queue)' (layout \(layoutQueue.layout.name))"
                return try LayoutActions.move("delayed cancel", layoutQueue, from: .delayed, to: nil,
                                              selection: .init(ids: ids, description: "ids=\(ids.count)"), dryRun: dryRun,
                                              confirmation: rule, context: context) { count, _ in
                    "Delete \(LayoutActions.phrase(count: count ?? ids.count, held: nil, noun: "delayed message", of: name))?"
                }
            }
            try moveWaiting("delayed cancel", queue: queue, choice: WaitingChoice(state: .delayed, place: "delayed", ids: ids),
                            verb: "deleted", dryRun: dryRun, confirmation: rule,
                            question: { "Delete \(LayoutActions.phrase(count: $0, held: nil, noun: "delayed message", of: "'\(queue)'"))?" },
                            context: context, batches: { _, _, body in try body(ids) }, move: { try $0.cancelDelayed($1, ids: $2) })
        }
    }
}
