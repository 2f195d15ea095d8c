import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Streams {
    struct Consumers: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "consumers",
            abstract: "A group's consumers with their idle time and pending count.",
            discussion: "Example: mqctl streams consumers events:orders billing")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The group.") var group: String

        func run(in context: CommandContext) throws {
            let consumers = try MQCore.Streams(connection: context.connection()).consumers(stream, group: group)
            try context.output { renderer in
                renderer.beginList(key: "consumers", columns: [
                    Column("name"), Column("pending", rightAligned: true), Column("idle_seconds", rightAligned: true),
                ])
                for consumer in consumers {
                    renderer.row(["name": .string(consumer.name), "pending": .int(consumer.pending), "idle_seconds": .seconds(consumer.idleSeconds)])
                }
                renderer.endList()
            }
        }
    }
}
