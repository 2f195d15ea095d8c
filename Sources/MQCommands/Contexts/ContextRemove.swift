import ArgumentParser

extension MQCtl.Context {
    struct Remove: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove a context from the config file (no longer current if it was). (Changes the config file.)",
            discussion: "Example: mqctl context rm staging")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The context.") var name: String

        func run(in context: CommandContext) throws {
            var file = try context.contextFile()
            try file.remove(name)
            try context.output { $0.single(["context": .string(name), "removed": .bool(true)]) }
        }
    }
}
