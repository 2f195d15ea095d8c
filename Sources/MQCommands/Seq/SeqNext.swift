import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Seq {
    struct Next: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "next",
            abstract: "Hand out the next numbers of a counter (INCRBY). (Changes data.)",
            discussion: "Prints the first and last number handed out.\n\nExample: mqctl seq next seq:conv-42 --count 10")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The counter's key.") var key: String
        @Option(help: "How many numbers.") var count: Int64 = 1

        func validate() throws {
            guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            let range = try SequenceCounters(connection: context.connection()).next(key, count: count)
            try context.output { $0.single(["key": .string(key), "first": .int(range.first), "last": .int(range.last)]) }
        }
    }
}
