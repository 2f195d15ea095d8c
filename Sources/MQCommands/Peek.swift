import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Peek: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "peek",
            abstract: "Show the head of a queue's ready tiers in fetch order, without taking anything.",
            discussion: "Example: mqctl peek orders --count 5")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @Option(name: [.short, .long], help: "Messages to show.") var count = 10
        @OptionGroup var missing: MissingQueueOption

        func validate() throws {
            guard (1...10_000).contains(count) else { throw ValidationError("--count must be from 1 to 10000") }
        }

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                return try LayoutActions.list(layoutQueue, .ready(tier: nil), limit: count, context: context)
            }
            let messages = try context.broker().peek(try QueueName(queue), count: count)
            try context.output { renderer in
                renderer.beginList(key: "messages", columns: [
                    Column("id"), Column("priority"), Column("attempts", rightAligned: true), Column("run_at"), Column("payload"),
                ])
                messages.map(Records.message).forEach(renderer.row)
                renderer.endList()
            }
        }
    }
}
