import ArgumentParser

extension MQCtl.Queues {
    struct Resume: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume",
            abstract: "Let workers fetch from a paused queue again. (Changes data.)",
            discussion: "Example: mqctl queues resume orders")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String

        func run(in context: CommandContext) throws {
            try setPaused(queue, false, context)
        }
    }
}
