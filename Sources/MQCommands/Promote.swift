import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Promote: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move due delayed and retry messages to their ready tier: one pass, for cron. (Changes data.)",
            discussion: """
                Loops bounded batches of 500 until nothing is due. Safe to run beside workers \
                and other promoters: each message moves once. Without a terminal each queue's \
                cron lock is taken; a queue another run holds exits 75.

                Example: * * * * * mqctl promote -q
                """)

        @OptionGroup var globals: GlobalOptions
        @Argument(help: "Queues (default: all).", completion: .queueNames) var queues: [String] = []
        @OptionGroup var locking: LockOptions

        func run(in context: CommandContext) throws {
            let broker = try context.broker()
            let names = queues.isEmpty ? try broker.queueNames() : try queues.map(QueueName.init)
            let results = try names.map { queue in
                try locking.withLock("promote", queue, broker, context) { _ in try broker.promote(queue) }
            }
            for result in results where result.moved > 0 {
                try broker.audit(AuditEntry(command: "promote", queue: result.queue.rawValue, counts: [
                    ("from_delayed", result.fromDelayed), ("from_retry", result.fromRetry),
                ]))
            }
            try context.output { renderer in
                renderer.beginList(key: "queues", columns: [
                    Column("name"), Column("from_delayed", rightAligned: true), Column("from_retry", rightAligned: true),
                ])
                for result in results {
                    renderer.row(["name": .string(result.queue.rawValue), "from_delayed": .int(Int64(result.fromDelayed)),
                                  "from_retry": .int(Int64(result.fromRetry))])
                }
                renderer.endList()
            }
        }
    }
}
