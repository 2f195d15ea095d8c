import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Promote: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote",
            abstract: "Move due delayed and retry messages to their ready tier: one pass, for cron. (Changes data.)",
            discussion: """
                Loops bounded batches of 500 until nothing is due. Safe to run beside workers \
                and other promoters: each message moves once. Without a terminal each queue's \
                cron lock is taken; a queue another run holds exits 75.

                Example: * * * * * mqctl promote -q
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "Queues (default: all).", completion: .queueNames) var queues: [String] = []
        @OptionGroup var locking: LockOptions

        func run(in context: CommandContext) throws {
            let broker = try context.broker()
            let refs = try context.queues(queues)
            let results = try refs.map { ref in
                if case .layout(let layoutQueue) = ref { return try promote(layoutQueue, broker, context) }
                let queue = ref.name
                let report = BulkReport("promote", queue: queue, verb: "moved", counts: ["from_delayed", "from_retry", "dead_lettered"])
                var total = PromoteResult(queue: queue)
                try report.run(context, broker) {
                    try locking.withLock("promote", queue, broker, context) { lock in
                        total = try broker.promote(queue) { batch in
                            report["moved"] += batch.moved
                            report["from_delayed"] += batch.fromDelayed
                            report["from_retry"] += batch.fromRetry
                            report["dead_lettered"] += batch.deadLettered
                            try lock?.checkpoint() ?? Interruption.checkpoint()
                        }
                    }
                }
                return total
            }
            try context.output { renderer in
                renderer.beginList(key: "queues", columns: [
                    Column("queue"), Column("from_delayed", rightAligned: true), Column("from_retry", rightAligned: true),
                    Column("dead_lettered", rightAligned: true),
                ])
                for result in results {
                    renderer.row(["queue": .string(result.queue.rawValue), "from_delayed": .int(Int64(result.fromDelayed)),
                                  "from_retry": .int(Int64(result.fromRetry)), "dead_lettered": .int(Int64(result.deadLettered))])
                }
                renderer.endList()
            }
        }

        /// Due members of a layout queue's delayed and retry sets to ready.
        private func promote(_ queue: LayoutQueue, _ broker: Broker, _ context: CommandContext) throws -> PromoteResult {
            let report = BulkReport("promote", queue: queue.name, verb: "moved", counts: ["from_delayed", "from_retry", "skipped", "unreadable"])
            report.selection = "layout=\(queue.layout.name)"
            try report.run(context, broker) {
                try locking.withLock("promote", queue.name, broker, context) { _ in
                    let (delayed, retry) = try broker.promote(queue)
                    report["from_delayed"] = delayed.moved
                    report["from_retry"] = retry.moved
                    report["moved"] = delayed.moved + retry.moved
                    report["skipped"] = delayed.missing + retry.missing
                    report["unreadable"] = delayed.unreadable + retry.unreadable
                }
            }
            if report["unreadable"] > 0 {
                context.stderr.write("mqctl: warning: \(LayoutActions.members(report["unreadable"])) due in '\(queue.name)' could not be read as layout '\(queue.layout.name)' says and were left in place\n")
            }
            return PromoteResult(queue: queue.name, fromDelayed: report["from_delayed"], fromRetry: report["from_retry"])
        }
    }
}
