import ArgumentParser

extension MQCtl {
    struct Delayed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delayed",
            abstract: "List, cancel or run now the messages scheduled for later.",
            discussion: "Example: mqctl delayed list orders",
            subcommands: [List.self, Cancel.self, RunNow.self])
    }
}
