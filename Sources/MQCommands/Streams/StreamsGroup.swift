import ArgumentParser

extension MQCtl.Streams {
    struct Group: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage a stream's consumer groups.",
            discussion: "Example: mqctl streams group create events:orders billing --from 0",
            subcommands: [Create.self])
    }
}
