import ArgumentParser
import MQCore

extension MQCtl {
    struct Show: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one message in any state: envelope, state, payload.",
            discussion: """
                A payload that is not UTF-8 is shown in base64, with payload_encoding: base64.

                Example: mqctl show orders 01JD3X0Q6T4Z8M2N5P7R9S1V3W --json
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @Argument(help: "The message id.") var id: String

        func run(in context: CommandContext) throws {
            // An id mqctl cannot take is a usage error whatever the queue.
            if case .native = try context.queue(queue) { _ = try MessageID.validate(id) }
            // A queue that does not exist is named as such, not as a missing message.
            if let layoutQueue = try context.existingLayoutQueue(queue) {
                return try LayoutActions.show(layoutQueue, id: id, context: context)
            }
            let view = try context.broker().message(try QueueName(queue), id: id)
            try context.output { $0.single(Records.message(view)) }
        }
    }
}
