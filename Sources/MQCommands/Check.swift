import ArgumentParser
import Foundation
import MQCore
import MQParsing

extension MQCtl {
    struct Check: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check queues against thresholds, for Nagios-style monitoring.",
            discussion: """
                Prints one status line with perfdata and exits 0 OK, 1 WARNING, 2 CRITICAL or \
                3 UNKNOWN (e.g. Redis unreachable). --max-* set CRITICAL thresholds, --warn-* \
                WARNING ones; a queue is judged by the worst of its values. All queues when none \
                are named.

                Example: mqctl check orders --warn-latency 1m --max-latency 5m --max-dead 100
                """)

        @OptionGroup var globals: GlobalOptions

        @Argument(help: "Queues to check (default: all).", completion: .queueNames)
        var queues: [String] = []

        @Option(help: "CRITICAL when ready messages exceed N.") var maxReady: Int64?
        @Option(help: "CRITICAL when the oldest ready message is older.", transform: DurationValue.init(parsing:)) var maxLatency: DurationValue?
        @Option(help: "CRITICAL when dead letters exceed N.") var maxDead: Int64?
        @Option(help: "CRITICAL when usage of max_length exceeds PCT.") var maxUsage: Double?
        @Option(help: "WARNING when ready messages exceed N.") var warnReady: Int64?
        @Option(help: "WARNING when the oldest ready message is older.", transform: DurationValue.init(parsing:)) var warnLatency: DurationValue?
        @Option(help: "WARNING when dead letters exceed N.") var warnDead: Int64?
        @Option(help: "WARNING when usage of max_length exceeds PCT.") var warnUsage: Double?

        enum Level: Int32, Comparable {
            case ok = 0, warning = 1, critical = 2, unknown = 3

            var name: String { ["OK", "WARNING", "CRITICAL", "UNKNOWN"][Int(rawValue)] }

            static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
        }

        func run(in context: CommandContext) throws {
            let names = try queues.map(QueueName.init)
            let stats: [QueueStats]
            do {
                stats = try context.broker().stats(names)
            } catch {
                let report = ErrorReport.message(for: error, configuration: context.configuration)
                context.stdout.write("MQCTL UNKNOWN - \(report.message)\n")
                throw ExitCode(Level.unknown.rawValue)
            }
            var worst = Level.ok
            var problems: [String] = []
            var perfdata: [String] = []
            for queue in stats {
                let name = queue.queue.rawValue
                let latency = queue.latencySeconds
                let values: [(label: String, value: Double, shown: String, warn: Double?, crit: Double?, unit: String)] = [
                    ("ready", Double(queue.ready), "\(queue.ready)", warnReady.map(Double.init), maxReady.map(Double.init), ""),
                    ("latency", latency, "\(Int(latency))s", warnLatency?.seconds, maxLatency?.seconds, "s"),
                    ("dead", Double(queue.dead), "\(queue.dead)", warnDead.map(Double.init), maxDead.map(Double.init), ""),
                    ("usage", queue.usagePercent ?? 0, "\(Int(queue.usagePercent ?? 0))%", warnUsage, maxUsage, "%"),
                ]
                for item in values {
                    let level: Level = item.crit.map { item.value > $0 } == true ? .critical
                        : item.warn.map { item.value > $0 } == true ? .warning : .ok
                    if level > .ok {
                        let limit = level == .critical ? item.crit! : item.warn!
                        problems.append("\(name) \(item.label) \(item.shown) > \(Self.number(limit))\(item.unit)")
                    }
                    worst = max(worst, level)
                    let thresholds = [item.warn, item.crit].map { $0.map(Self.number) ?? "" }.joined(separator: ";")
                    perfdata.append("\(name)_\(item.label)=\(Self.number(item.value))\(item.unit);\(thresholds)")
                }
            }
            let summary = problems.isEmpty ? "\(stats.count) queue\(stats.count == 1 ? "" : "s") within limits" : problems.joined(separator: ", ")
            context.stdout.write("MQCTL \(worst.name) - \(summary) | \(perfdata.joined(separator: " "))\n")
            if worst != .ok { throw ExitCode(worst.rawValue) }
        }

        static func number(_ value: Double) -> String {
            value == value.rounded() ? String(Int64(value)) : String(format: "%.1f", value)
        }
    }
}
