import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Seq {
    struct Get: MQCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Read one counter.", discussion: "Example: mqctl seq get seq:conv-42")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The counter's key.") var key: String

        func run(in context: CommandContext) throws {
            let reading = try SequenceCounters(connection: context.connection()).get(key)
            if reading.problem == "missing" { throw CommandFailure("no counter '\(key)'") }
            try context.output { $0.single(CounterRecords.row(reading)) }
            if let problem = reading.problem { throw MQError.notACounter(key: key, reason: problem) }
        }
    }
}
