import ArgumentParser
import MQCore
import MQFormat

extension MQCtl.Seq {
    struct Set: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set a counter; lowering it needs --allow-decrease and confirmation. (Changes data.)",
            discussion: """
                A lower counter hands out numbers again that were already used, so going down \
                is refused unless --allow-decrease, and then asks on a terminal (--yes elsewhere). \
                --if-equals makes it a compare-and-set. The TTL is kept.

                Example: mqctl seq set seq:conv-42 1000 --if-equals 998
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The counter's key.") var key: String
        @Argument(help: "The new value.") var value: Int64
        @Flag(help: "Allow the counter to go down.") var allowDecrease = false
        @Option(help: "Only if the counter holds this value now.") var ifEquals: Int64?

        func run(in context: CommandContext) throws {
            let connection = try context.connection()
            let counters = SequenceCounters(connection: connection)
            if allowDecrease, let current = try counters.get(key).value, value < current {
                try context.confirm("Lower '\(key)' from \(current) to \(value)? Numbers above \(value) will be handed out again.")
            }
            let outcome = try counters.set(key, to: value, allowDecrease: allowDecrease, ifEquals: ifEquals)
            switch outcome {
            case .set(let old):
                try Broker(connection: connection, prefix: context.prefix).audit(AuditEntry(
                    command: "seq set", counts: [("value", Int(value)), ("old", Int(old ?? 0))], detail: key))
                try context.output { $0.single(["key": .string(key), "value": .int(value), "old": old.map { .int($0) } ?? .null]) }
            case .wouldLower(let current):
                throw CommandFailure("'\(key)' is \(current); setting it to \(value) would hand out numbers again (use --allow-decrease); nothing changed")
            case .mismatch(let current):
                throw CommandFailure("'\(key)' is \(current ?? "unset"), not \(ifEquals.map(String.init) ?? ""); nothing changed")
            case .invalid(let current):
                throw MQError.notACounter(key: key, reason: "it holds '\(current.prefix(40))'; nothing changed")
            }
        }
    }
}
