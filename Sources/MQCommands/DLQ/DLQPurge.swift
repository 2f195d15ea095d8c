import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.DLQ {
    struct Purge: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete dead letters and their envelopes. (Destroys data.)",
            discussion: """
                Asks on a terminal; elsewhere needs --yes, and exits 64 having deleted nothing \
                without it. --dry-run shows what would go.

                Example (cron): 30 3 * * * mqctl dlq purge orders --older-than 30d --yes -q
                """)

        @OptionGroup var globals: GlobalOptions
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
            if let layoutQueue = try context.layoutQueue(queue) {
                if !dryRun { try context.confirm("Delete \(selection.all ? "all" : "the chosen") dead letters of '\(queue)' (layout \(layoutQueue.layout.name))?") }
                return try LayoutActions.move("dlq purge", layoutQueue, from: .dead, to: nil, selection: selection.layoutSelection(limit: limit),
                                              dryRun: dryRun, locking: locking, context: context)
            }
            let queue = try QueueName(queue)
            let broker = try context.broker()
            if dryRun {
                return try DryRun.report(selection, queue, broker, limit: limit, context: context)
            }
            try context.confirm("Delete \(selection.all ? "all" : "the chosen") dead letters of '\(queue)'?")
            let report = BulkReport("dlq purge", queue: queue, verb: "deleted", counts: ["deleted", "not_found"])
            report.selection = selection.description
            report.total = try selection.expectedCount(broker, queue, limit: limit)
            let progress = Progress(context: context, label: "deleted")
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
            progress.finish()
            try context.output { $0.single(Record(report.fields.fields + [("dry_run", .bool(false))])) }
            if !selection.ids.isEmpty && report["not_found"] > 0 {
                throw CommandFailure("\(report["not_found"]) of the ids given are not dead letters in '\(queue)'")
            }
        }
    }
}
