import ArgumentParser

extension MQCtl.Queues {
    struct Pause: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "pause",
            abstract: "Stop workers fetching from a queue; enqueueing goes on. (Changes data.)",
            discussion: "Example: mqctl queues pause orders")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String

        func run(in context: CommandContext) throws {
            try setPaused(queue, true, context)
        }
    }
}
