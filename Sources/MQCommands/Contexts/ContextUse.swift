import ArgumentParser

extension MQCtl.Context {
    struct Use: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "use",
            abstract: "Make a context the current one. (Changes the config file.)",
            discussion: "Example: mqctl context use prod")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The context.") var name: String

        func run(in context: CommandContext) throws {
            var file = try context.contextFile()
            try file.use(name)
            try context.output { $0.single(ContextRecords.record(try file.context(named: name), current: file.current)) }
        }
    }
}
