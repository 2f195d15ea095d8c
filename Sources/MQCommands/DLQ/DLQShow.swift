import ArgumentParser
import MQCore

extension MQCtl.DLQ {
    struct Show: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one dead letter: its whole envelope and error.",
            discussion: "Example: mqctl dlq show orders 01JD3X0Q6T4Z8M2N5P7R9S1V3W --json")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @Argument(help: "The message id.") var id: String

        func run(in context: CommandContext) throws {
            let queue = try QueueName(queue)
            let view = try context.broker().message(queue, id: id)
            guard view.envelope.state == .dead else {
                throw CommandFailure("message '\(id)' in '\(queue)' is not a dead letter (state: \(view.envelope.state.rawValue))")
            }
            try context.output { $0.single(Records.message(view)) }
        }
    }
}
