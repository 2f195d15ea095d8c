import ArgumentParser
import MQCore

// Options that take one of a few words are enums, so their values appear
// in help, man pages and completion, and ArgumentParser refuses the rest.

extension Backoff.Curve: ExpressibleByArgument {}

extension WorkerLog.Format: ExpressibleByArgument {}

extension Broker.ImportTarget: ExpressibleByArgument {}

/// `--log-level`: the worker's levels by name (WorkerLog.Level is ordered by number).
enum LogLevelChoice: String, CaseIterable, ExpressibleByArgument {
    case debug, info, warn, error

    var level: WorkerLog.Level { WorkerLog.Level.allCases.first { $0.name == rawValue }! }
}
