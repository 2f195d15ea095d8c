import ArgumentParser
import MQCore
import MQFormat
import MQParsing

extension MQCtl.Streams {
    struct Pending: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "pending",
            abstract: "A group's pending entries, oldest first, with their delivery counts.",
            discussion: "Example: mqctl streams pending events:orders billing --idle 10m --limit 20")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The group.") var group: String
        @Option(help: "Only entries idle at least this long.", transform: DurationValue.init(parsing:)) var idle: DurationValue?
        @Option(help: "Only this consumer's entries.") var consumer: String?
        @Option(help: "At most N entries.") var limit = 100

        func run(in context: CommandContext) throws {
            let entries = try MQCore.Streams(connection: context.connection())
                .pending(stream, group: group, minIdle: idle?.milliseconds, consumer: consumer, limit: limit)
            try context.output { renderer in
                renderer.beginList(key: "pending", columns: [
                    Column("id"), Column("consumer"), Column("idle_seconds", rightAligned: true),
                    Column("deliveries", rightAligned: true),
                ])
                for entry in entries {
                    renderer.row(["id": .string(entry.id), "consumer": .string(entry.consumer),
                                  "idle_seconds": .seconds(entry.idleSeconds), "deliveries": .int(entry.deliveries)])
                }
                renderer.endList()
            }
        }
    }
}
