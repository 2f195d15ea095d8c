import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Reap: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "reap",
            abstract: "Return expired leases to retry (or dead) and apply the dead-letter caps: one pass, for cron. (Changes data.)",
            discussion: """
                Every running worker reaps its own queues; this is for queues no worker runs. \
                Without a terminal each queue's cron lock is taken. On a layout queue, what dead \
                workers held in their processing lists goes back to the front of its ready list \
                (counted as returned).

                Example: * * * * * mqctl reap -q
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "Queues (default: all).", completion: .queueNames) var queues: [String] = []
        @OptionGroup var locking: LockOptions

        func run(in context: CommandContext) throws {
            let broker = try context.broker()
            let refs = try context.queues(queues)
            // Per queue: retried, dead, trimmed (mqctl's own) and returned (a layout's).
            let results = try refs.map { ref -> (QueueName, Int, Int, Int, Int) in
                if case .layout(let layoutQueue) = ref {
                    // What dead workers held goes back to ready; attempts are counted on the next fetch.
                    let report = BulkReport("reap", queue: layoutQueue.name, verb: "returned", counts: [])
                    try report.run(context, broker) {
                        try locking.withLock("reap", layoutQueue.name, broker, context) { _ in report["returned"] = try broker.reap(layoutQueue) }
                    }
                    return (layoutQueue.name, 0, 0, 0, report["returned"])
                }
                let queue = ref.name
                let report = BulkReport("reap", queue: queue, verb: "retried", counts: ["retried", "dead", "trimmed"])
                try report.run(context, broker) {
                    try locking.withLock("reap", queue, broker, context) { lock in
                        try broker.reap(queue) { batch in
                            report["retried"] += batch.retried
                            report["dead"] += batch.dead
                            try lock?.checkpoint() ?? Interruption.checkpoint()
                        }
                        report["trimmed"] += try broker.trimDead(queue)
                    }
                }
                return (queue, report["retried"], report["dead"], report["trimmed"], 0)
            }
            try context.output { renderer in
                renderer.beginList(key: "queues", columns: [
                    Column("queue"), Column("retried", rightAligned: true), Column("dead", rightAligned: true), Column("trimmed", rightAligned: true),
                    Column("returned", rightAligned: true),
                ])
                for (queue, retried, dead, trimmed, returned) in results {
                    renderer.row(["queue": .string(queue.rawValue), "retried": .int(Int64(retried)), "dead": .int(Int64(dead)),
                                  "trimmed": .int(Int64(trimmed)), "returned": .int(Int64(returned))])
                }
                renderer.endList()
            }
        }
    }
}
