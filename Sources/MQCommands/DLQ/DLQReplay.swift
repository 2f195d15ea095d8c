import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.DLQ {
    struct Replay: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Move dead letters back to their ready tier, in bounded batches. (Changes data.)",
            discussion: """
                Attempts reset unless --keep-attempts. Each batch is one script: a replay cut \
                short keeps what it did, and a re-run moves only what is left, each message \
                once. Without a terminal the queue's cron lock is taken: a second run exits 75. \
                Prints moved, skipped (envelope missing, or the id is taken in --to-queue) and \
                not_found; --dry-run prints would_move and a sample, changing nothing.

                On a terminal a replay of more than 1,000 messages asks first, naming the count \
                ("Replay 200,000 of 300,000 dead letters of 'orders' to their ready tiers? \
                [y/N]"); --yes skips the question, and without a terminal there is none. A run \
                replays at most the count it started with. On a terminal a progress line on \
                stderr shows done/total, rate and ETA; Ctrl-C stops between batches, saying how \
                many were moved and how many are left.

                Example (cron): 0 * * * * mqctl dlq replay orders --error 'timeout' --older-than 1h --limit 1000 -q
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @OptionGroup var missing: MissingQueueOption
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @OptionGroup var selection: DeadLetterSelection
        @Option(help: "Replay into this queue instead.") var toQueue: String?
        @Flag(help: "Keep the attempts count instead of resetting it.") var keepAttempts = false
        @Flag(help: "Count the matches and show a sample; change nothing.") var dryRun = false
        @Option(help: "Replay at most N.") var limit: Int?
        @Option(help: "At most N messages a second.") var rate: Int?
        @Option(help: "Messages per script call.") var batch = 500
        @OptionGroup var locking: LockOptions

        func validate() throws {
            guard (1...5_000).contains(batch) else { throw ValidationError("--batch must be from 1 to 5000") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            if let rate, rate < 1 { throw ValidationError("--rate must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            let rule = dryRun ? ConfirmationRule.never : .above(ConfirmationRule.replayThreshold)
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                guard toQueue == nil else { throw UsageError("--to-queue: move a layout queue's messages to another queue with `mqctl migrate`") }
                let name = "'\(queue)' (layout \(layoutQueue.layout.name))"
                return try LayoutActions.move("dlq replay", layoutQueue, from: .dead, to: .ready, asRetry: true, keepAttempts: keepAttempts, selection: selection.layoutSelection(limit: limit),
                                              dryRun: dryRun, locking: locking, confirmation: rule, context: context) { count, held in
                    "Replay \(LayoutActions.phrase(count: count, held: held, noun: "dead letter", of: name)) to their ready lists?"
                }
            }
            let queue = try QueueName(queue)
            let target = try toQueue.map(QueueName.init)
            let broker = try context.broker()
            if dryRun {
                return try DryRun.report(selection, queue, broker, limit: limit, verb: "would_move", context: context)
            }
            // Counted first where a question or a progress line may need it.
            let plan = try selection.plan(broker, queue, limit: limit, countFilters: rule.mayAsk(context) || Progress.isShown(context), context: context)
            try rule.confirm(context, count: plan.count) {
                "Replay \(plan.phrase(queue: queue.rawValue)) \(target.map { "into '\($0)'" } ?? "to their ready tiers")?"
            }
            // Never more than the count asked about (and, with ids, only those).
            let limit = selection.ids.isEmpty ? plan.count ?? limit : limit
            let report = BulkReport("dlq replay", queue: queue, verb: "moved", counts: ["moved", "skipped", "not_found", "resumed"])
            report.selection = selection.description + (target.map { " to=\($0)" } ?? "")
            report.total = plan.count
            let limiter = RateLimiter(rate: rate)
            let progress = report.showProgress(context, label: "replayed")
            try report.run(context, broker) {
                try locking.withLock("dlq-replay", queue, broker, context) { lock in
                    if let target {
                        // A replay to this target cut short: finish it first.
                        while case let pending = try broker.pendingTransfers(queue, to: target), !pending.isEmpty {
                            let outcomes = try report.call(size: pending.count) {
                                try broker.replay(queue, ids: pending, to: target, keepAttempts: keepAttempts)
                            }
                            report["resumed"] += outcomes.filter { $0 == .moved }.count
                        }
                    }
                    try selection.forEachBatch(broker, queue, batchSize: min(batch, rate ?? batch), limit: limit) { ids in
                        let outcomes = try report.call(size: ids.count) {
                            try target.map { try broker.replay(queue, ids: ids, to: $0, keepAttempts: keepAttempts) }
                                ?? broker.replay(queue, ids: ids, keepAttempts: keepAttempts)
                        }
                        for outcome in outcomes {
                            switch outcome {
                            case .moved: report["moved"] += 1
                            case .skipped: report["skipped"] += 1
                            case .notFound: report["not_found"] += 1
                            }
                        }
                        let replayed = zip(ids, outcomes).filter { $0.1 == .moved }.map(\.0)
                        try? broker.publish(replayed.map { (target ?? queue, "replayed", $0, ["from": .string(queue.rawValue)]) })
                        let done = report["moved"] + report["skipped"] + report["not_found"]
                        progress.update(done: done)
                        limiter.pace(done: done)
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

/// `--dry-run` for replay and purge: what would be taken, changing
/// nothing. Says `would_move` (or `would_delete`), never `moved`.
enum DryRun {
    static func report(_ selection: DeadLetterSelection, _ queue: QueueName, _ broker: Broker, limit: Int?, verb: String,
                       context: CommandContext) throws {
        var matched = 0
        var notFound = 0
        var sample: [FieldValue] = []
        if !selection.ids.isEmpty {
            let ids = Array(selection.ids.prefix(limit ?? selection.ids.count))
            for start in stride(from: 0, to: ids.count, by: Broker.batchSize) {
                let batch = Array(ids[start..<min(start + Broker.batchSize, ids.count)])
                for (id, dead) in zip(batch, try broker.areDead(queue, ids: batch)) {
                    if !dead { notFound += 1 } else {
                        matched += 1
                        if sample.count < 10 { sample.append(.string(id)) }
                    }
                }
            }
        } else {
            let progress = Progress(context: context, label: "counting matches:")
            try broker.deadLetters(queue, filter: try selection.filters.filter(), limit: limit, withEnvelopes: false) { letter in
                matched += 1
                if sample.count < 10 { sample.append(.string(letter.id)) }
                progress.update(done: matched)
            }
            progress.finish()
        }
        try context.output { $0.single([
            verb: .int(Int64(matched)), "not_found": .int(Int64(notFound)), "dry_run": .bool(true), "sample": .list(sample),
        ]) }
    }
}
