import ArgumentParser
import MQFormat

extension MQCtl.Context {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the contexts of the config file; the current one is marked.",
            discussion: "Example: mqctl context list")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        func run(in context: CommandContext) throws {
            let file = try context.contextFile()
            try context.output { renderer in
                renderer.beginList(key: "contexts", columns: ContextRecords.columns)
                for saved in file.contexts { renderer.row(ContextRecords.record(saved, current: file.current)) }
                renderer.endList()
            }
        }
    }
}
