import ArgumentParser

extension MQCtl.Streams {
    struct Group: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "group",
            abstract: "Manage a stream's consumer groups.",
            discussion: "Example: mqctl streams group create events:orders billing --from 0",
            subcommands: [Create.self])
    }
}
