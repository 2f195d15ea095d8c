import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Streams.Group {
    struct Create: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a consumer group (XGROUP CREATE). (Changes data.)",
            discussion: """
                --from says where the group starts: $ (the default) hands it only entries \
                added from now on, 0 every entry already in the stream, an entry id those \
                after it. Prints the group as Redis then reports it, with its lag: the entries \
                it will be handed first. A group that already exists is refused (exit 1, \
                BUSYGROUP) and left as it is; so is a stream that does not exist, unless \
                --mkstream creates it empty. Writes an audit entry.

                Example: mqctl streams group create events:orders billing --from 0
                Example: mqctl streams group create events:new mailer --mkstream
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The group's name.") var group: String
        @Option(help: "Start after this id: $ (new entries only), 0 (every entry) or an entry id.") var from = "$"
        @Flag(help: "Create the stream, empty, if it does not exist.") var mkstream = false

        func run(in context: CommandContext) throws {
            let streams = MQCore.Streams(connection: try context.connection())
            let created = try MQCtl.Streams.refusals {
                do {
                    return try streams.createGroup(stream, group: group, from: from, makeStream: mkstream)
                } catch StreamsError.noSuchStream(let name) {
                    throw CommandFailure("stream '\(name)' does not exist; give --mkstream to create it empty; nothing was changed")
                }
            }
            context.audit(AuditEntry(command: "streams group create",
                                     detail: "\(stream) \(group) from=\(from)\(mkstream ? " mkstream" : "")"), try context.broker())
            let table = context.format.isTable
            try context.output { $0.single([
                "stream": .string(stream), "group": .string(created.name), "created": .bool(true),
                "from": .string(from), "last_delivered_id": .string(created.lastDeliveredID),
                "lag": MQCtl.Streams.lagCell(created, table: table), "lag_estimated": .bool(created.lagEstimated),
            ]) }
        }
    }
}
