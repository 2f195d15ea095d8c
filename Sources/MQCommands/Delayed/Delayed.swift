import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Delayed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, cancel or run now the messages scheduled for later.",
            discussion: "Example: mqctl delayed list orders",
            subcommands: [List.self, Cancel.self, RunNow.self])
    }
}

extension MQCtl.Delayed {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "List delayed messages by run-at time, soonest first.",
            discussion: "Streams in pages of 1000, so any number of messages lists in constant memory.\n\nExample: mqctl delayed list orders -o ndjson")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @OptionGroup var missing: MissingQueueOption
        @Argument(help: "The queue.", completion: .queueNames) var queue: String

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                return try LayoutActions.list(layoutQueue, .delayed, limit: nil, context: context)
            }
            let broker = try context.broker()
            let queue = try QueueName(queue)
            let now = broker.time.nowMilliseconds()
            let renderer = context.quiet ? nil : try context.renderer()
            renderer?.beginList(key: "delayed", columns: [Column("id"), Column("run_at"), Column("due_in_seconds", rightAligned: true)])
            try broker.scheduled(queue, in: .delayed) { page in
                for (id, runAt) in page {
                    renderer?.row(["id": .string(id), "run_at": .time(runAt), "due_in_seconds": .seconds(Double(runAt - now) / 1000)])
                }
                context.stdout.flushIfLarge()
            }
            renderer?.endList()
        }
    }

    struct Cancel: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete delayed messages before they run. (Destroys data.)",
            discussion: """
                Asks on a terminal, naming the count ("Delete 3 delayed messages of 'orders'? \
                [y/N]"); elsewhere needs --yes, and exits 64 having deleted nothing without it. \
                --dry-run shows what would go (would_delete) and changes nothing. Ids that are \
                not delayed are reported and exit 1.

                Example: mqctl delayed cancel orders ID1 ID2 --yes
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

    struct RunNow: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-now",
            abstract: "Make delayed messages ready now. (Changes data.)",
            discussion: """
                Ids that are not delayed are reported and exit 1. --dry-run shows what would \
                move (would_move) and changes nothing.

                Example: mqctl delayed run-now orders ID1
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
