import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.DLQ {
    struct Purge: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "purge",
            abstract: "Delete dead letters and their envelopes. (Destroys data.)",
            discussion: """
                Asks on a terminal, naming the count ("Delete 150 of 300 dead letters of \
                'orders'? [y/N]"); elsewhere needs --yes, and exits 64 having deleted nothing \
                without it. A run deletes at most the count it started with. --dry-run shows \
                what would go (would_delete) and changes nothing. On a terminal a progress line \
                on stderr shows done/total, rate and ETA; Ctrl-C stops between batches, saying \
                how many were deleted and how many are left.

                Example (cron): 30 3 * * * mqctl dlq purge orders --older-than 30d --yes -q
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @OptionGroup var missing: MissingQueueOption
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @OptionGroup var selection: DeadLetterSelection
        @Flag(help: "Count the matches and show a sample; change nothing.") var dryRun = false
        @Option(help: "Delete at most N.") var limit: Int?
        @Option(help: "Messages per script call.") var batch = 500
        @OptionGroup var locking: LockOptions

        func validate() throws {
            guard (1...5_000).contains(batch) else { throw ValidationError("--batch must be from 1 to 5000") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            let rule = dryRun ? ConfirmationRule.never : .always
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                let name = "'\(queue)' (layout \(layoutQueue.layout.name))"
                return try LayoutActions.move("dlq purge", layoutQueue, from: .dead, to: nil, selection: selection.layoutSelection(limit: limit),
                                              dryRun: dryRun, locking: locking, confirmation: rule, context: context) { count, held in
                    "Delete \(LayoutActions.phrase(count: count, held: held, noun: "dead letter", of: name))?"
                }
            }
            let queue = try QueueName(queue)
            let broker = try context.broker()
            if dryRun {
                return try DryRun.report(selection, queue, broker, limit: limit, verb: "would_delete", context: context)
            }
            // Counted first, so the question names the count and the
            // progress its total (filters only when either is shown).
            let plan = try selection.plan(broker, queue, limit: limit, countFilters: rule.mayAsk(context) || Progress.isShown(context), context: context)
            try rule.confirm(context, count: plan.count) { "Delete \(plan.phrase(queue: queue.rawValue))?" }
            // Never more than the count asked about (and, with ids, only those).
            let limit = selection.ids.isEmpty ? plan.count ?? limit : limit
            let report = BulkReport("dlq purge", queue: queue, verb: "deleted", counts: ["deleted", "not_found"])
            report.selection = selection.description
            report.total = plan.count
            let progress = report.showProgress(context, label: "deleted")
            try report.run(context, broker) {
                try locking.withLock("dlq-purge", queue, broker, context) { lock in
                    try selection.forEachBatch(broker, queue, batchSize: batch, limit: limit) { ids in
                        for gone in try report.call(size: ids.count, { try broker.purgeDead(queue, ids: ids) }) {
                            report[gone ? "deleted" : "not_found"] += 1
                        }
                        progress.update(done: report["deleted"] + report["not_found"])
                        try lock?.checkpoint()
                        try Interruption.checkpoint()
                    }
                }
            }
            try context.output { $0.single(Record(report.fields.fields + [("dry_run", .bool(false))])) }
            if !selection.ids.isEmpty && report["not_found"] > 0 {
                throw CommandFailure("\(report["not_found"]) of the ids given are not dead letters in '\(queue)'")
            }
        }
    }
}
