import ArgumentParser

extension MQCtl.Context {
    struct Show: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a context's settings (the current one when no name is given).",
            discussion: "Example: mqctl context show prod --json")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The context (default: the current one).") var name: String?

        func run(in context: CommandContext) throws {
            let file = try context.contextFile()
            guard let name = name ?? file.current else {
                throw CommandFailure("no context is current in \(file.path)", hint: "name one, or make one current with: mqctl context use NAME")
            }
            try context.output { $0.single(ContextRecords.record(try file.context(named: name), current: file.current)) }
        }
    }
}
