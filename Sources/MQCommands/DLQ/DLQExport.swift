import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.DLQ {
    struct Export: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write dead letters as JSON lines, newest first, for `dlq import`.",
            discussion: """
                One object per line with the whole envelope: payload (base64 with \
                payload_encoding when not UTF-8), headers, priority, attempts, max_attempts, \
                times (RFC 3339, milliseconds) and last_error. Streams in constant memory.

                Example: mqctl dlq export orders --older-than 7d > orders-dead.jsonl
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @OptionGroup var filters: DeadLetterFilterOptions
        @Option(help: "Export at most N.") var limit: Int?
        @OptionGroup var missing: MissingQueueOption

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.existingLayoutQueue(queue, allowMissing: missing.allowMissing) {
                return try LayoutActions.export(layoutQueue, filter: try filters.filter(), limit: limit, context: context)
            }
            let queue = try QueueName(queue)
            let broker = try context.broker()
            let lines = OutputFormat.ndjson.renderer(to: context.stdout)
            let progress = Progress(context: context, label: "exported")
            var exported = 0
            var unreadable = 0
            lines.beginList(key: "items", columns: [])
            try broker.deadLetters(queue, filter: try filters.filter(), limit: limit) { letter in
                guard let envelope = letter.envelope else {
                    unreadable += 1
                    context.stderr.write("mqctl: error: dead letter '\(letter.id)' not exported: \(letter.problem ?? "unreadable")\n")
                    return
                }
                lines.row(Records.message(MessageView(queue: queue, envelope: envelope, score: letter.failedAt)))
                exported += 1
                context.stdout.flushIfLarge()
                progress.update(done: exported)
            }
            lines.endList()
            progress.finish()
            if unreadable > 0 {
                throw CommandFailure("\(unreadable) dead letters could not be read and were left out; \(exported) exported")
            }
        }
    }
}
