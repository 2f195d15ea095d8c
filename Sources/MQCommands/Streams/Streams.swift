import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Streams: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "streams",
            abstract: "Inspect and repair Redis Streams consumer groups.",
            discussion: """
                Lag is the number of entries a group has not been handed yet. Redis reports \
                none after an entry the group has not read was deleted (XDEL, XTRIM); mqctl \
                then counts the entries after the group's last-delivered-id itself, up to \
                10,000, and marks the figure: ~N in tables (counted), >=N when the count \
                stopped at its cap; lag_estimated and lag_source in JSON.

                Example: mqctl streams groups events:orders
                """,
            subcommands: [List.self, Groups.self, Group.self, Consumers.self, Pending.self, Claim.self, Dead.self,
                          DelConsumer.self, Replay.self])
    }
}

extension MQCtl.Streams {
    /// A group's lag as a cell: a number as Redis gave it, `~N` when mqctl
    /// counted it, `>=N` when the count stopped at its cap. JSON and CSV
    /// get the number, with `lag_estimated` and `lag_source` beside it.
    static func lagCell(_ group: StreamGroup?, table: Bool) -> FieldValue {
        guard let group, let lag = group.lag else { return .null }
        guard table else { return .int(lag) }
        switch group.lagSource {
        case .counted: return .string("~\(lag)")
        case .countedCapped: return .string(">=\(lag)")
        case .redis, nil: return .int(lag)
        }
    }

    /// Runs `body`, turning the core's refusals into mqctl's exit codes:
    /// 1 for what does not exist or already does, 64 for what the command
    /// line asks that cannot be done, 65 for a key of another type.
    static func refusals<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StreamsError {
            switch error {
            case .invalidStartID, .crossSlot: throw UsageError("\(error)")
            case .notAStream(let key, let type): throw MQError.wrongKeyType(key: key, expected: "stream", actual: type)
            case .noSuchStream, .noSuchGroup, .groupExists: throw CommandFailure("\(error)")
            }
        }
    }
}
