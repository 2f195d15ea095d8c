import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Queues {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List known queues with their size and settings.",
            discussion: "Example: mqctl queues list -o csv")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        func run(in context: CommandContext) throws {
            let stats = try context.broker().stats()
            try context.output { renderer in
                renderer.beginList(key: "queues", columns: [
                    Column("queue"), Column("messages", rightAligned: true), Column("paused"),
                    Column("max_length", rightAligned: true), Column("max_attempts", rightAligned: true),
                ])
                for queue in stats {
                    var record = QueueConfigRecord.make(queue.queue, queue.config)
                    let messages = queue.ready + queue.delayed + queue.retry + queue.inflight + queue.dead
                    record.fields.insert(("messages", .int(messages)), at: 1)
                    renderer.row(record)
                }
                renderer.endList()
            }
        }
    }
}
