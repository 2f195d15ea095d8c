import ArgumentParser
import Foundation
import MQCore
import MQParsing

extension MQCtl {
    struct Check: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check queues, or a stream's consumer groups, against thresholds, for Nagios-style monitoring.",
            discussion: """
                Prints one status line with perfdata and exits 0 OK, 1 WARNING, 2 CRITICAL or \
                3 UNKNOWN (e.g. Redis unreachable). --max-* set CRITICAL thresholds, --warn-* \
                WARNING ones; a value above a threshold trips it, and a queue is judged by the \
                worst of its values. All queues when none are named.

                With --stream S, checks consumer groups of that stream instead (--group G, \
                repeatable; all its groups when none is named): --max-lag / --warn-lag on the \
                entries not yet delivered to a group (counted by mqctl when Redis reports no \
                lag, after an XDEL; shown as ~N, or >=N when the count stopped at its cap), \
                --max-pending-age / --warn-pending-age on the longest time a pending entry has \
                gone since its last delivery (XPENDING's idle time; every entry is weighed \
                against the thresholds, not only the oldest), and --max-dead / --warn-dead on \
                the length of --dead-stream KEY, which they need (a dead stream that does not \
                exist holds 0). A stream or group that does not exist is UNKNOWN, never OK.

                Example: mqctl check orders --warn-latency 1m --max-latency 5m --max-dead 100
                Example: mqctl check --stream events:orders --group billing --max-lag 1000 --max-pending-age 1m --dead-stream events:orders:dead --max-dead 0
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

        @Option(help: "Check this stream's consumer groups instead of queues.") var stream: String?
        @Option(help: "With --stream: a group to check; repeatable (default: all its groups).") var group: [String] = []
        @Option(help: "With --stream: CRITICAL when a group's lag (entries not yet delivered) exceeds N.") var maxLag: Int64?
        @Option(help: "With --stream: WARNING when a group's lag exceeds N.") var warnLag: Int64?
        @Option(help: "With --stream: CRITICAL when a pending entry has been idle longer.", transform: DurationValue.init(parsing:))
        var maxPendingAge: DurationValue?
        @Option(help: "With --stream: WARNING when a pending entry has been idle longer.", transform: DurationValue.init(parsing:))
        var warnPendingAge: DurationValue?
        @Option(help: "With --stream: the dead stream --max-dead and --warn-dead count.") var deadStream: String?

        func validate() throws {
            if stream != nil {
                if !queues.isEmpty { throw ValidationError("give queues or --stream, not both") }
                let queueOnly = [(maxReady != nil, "--max-ready"), (maxLatency != nil, "--max-latency"), (maxUsage != nil, "--max-usage"),
                                 (warnReady != nil, "--warn-ready"), (warnLatency != nil, "--warn-latency"), (warnUsage != nil, "--warn-usage")]
                if let option = queueOnly.first(where: \.0) {
                    throw ValidationError("\(option.1) checks queues; with --stream use --max-lag, --max-pending-age and --max-dead")
                }
                if (maxDead != nil || warnDead != nil) && deadStream == nil {
                    throw ValidationError("--max-dead and --warn-dead with --stream count a dead stream: name it with --dead-stream KEY")
                }
            } else {
                let streamOnly = [(!group.isEmpty, "--group"), (maxLag != nil, "--max-lag"), (warnLag != nil, "--warn-lag"),
                                  (maxPendingAge != nil, "--max-pending-age"), (warnPendingAge != nil, "--warn-pending-age"),
                                  (deadStream != nil, "--dead-stream")]
                if let option = streamOnly.first(where: \.0) { throw ValidationError("\(option.1) needs --stream") }
            }
        }

        enum Level: Int32, Comparable {
            case ok = 0, warning = 1, critical = 2, unknown = 3

            var name: String { ["OK", "WARNING", "CRITICAL", "UNKNOWN"][Int(rawValue)] }

            static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
        }

        func run(in context: CommandContext) throws {
            if let stream { return try checkStream(stream, in: context) }
            let stats: [QueueStats]
            do {
                stats = try context.broker().stats(context.queues(queues))
            } catch where ExitStatus(for: error) == .usage {
                // A name mqctl cannot take is the caller's mistake, not the server's state.
                throw error
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

        /// `--stream` mode: the same status line, perfdata and exit codes,
        /// over the groups of one stream and its dead stream.
        private func checkStream(_ stream: String, in context: CommandContext) throws {
            func unknown(_ message: String) throws -> Never {
                context.stdout.write("MQCTL UNKNOWN - \(message)\n")
                throw ExitCode(Level.unknown.rawValue)
            }
            let health: StreamHealth
            do {
                let probes = [warnPendingAge, maxPendingAge].compactMap { $0?.milliseconds }
                let cap = max(MQCore.Streams.defaultLagCap, Int(clamping: max(maxLag ?? 0, warnLag ?? 0)) + 1)
                health = try MQCore.Streams(connection: context.connection())
                    .health(stream, groups: group, idleProbes: probes, deadStream: deadStream, lagCap: cap)
            } catch let error as StreamsError {
                try unknown("\(error)")
            } catch {
                try unknown(ErrorReport.message(for: context.explained(error), configuration: context.configuration).message)
            }
            if health.groups.isEmpty { try unknown("stream '\(stream)' has no consumer groups") }
            var worst = Level.ok
            var problems: [String] = []
            var perfdata: [String] = []
            func judge(_ name: String, _ label: String, value: Double, shown: String, warn: Double?, crit: Double?, unit: String) {
                let level: Level = crit.map { value > $0 } == true ? .critical : warn.map { value > $0 } == true ? .warning : .ok
                if level > .ok {
                    let limit = level == .critical ? crit! : warn!
                    problems.append("\(name) \(label) \(shown) > \(Self.number(limit))\(unit)")
                }
                worst = max(worst, level)
                let thresholds = [warn, crit].map { $0.map(Self.number) ?? "" }.joined(separator: ";")
                perfdata.append("\(Self.perfLabel("\(name)_\(label)"))=\(Self.number(value))\(unit);\(thresholds)")
            }
            for item in health.groups {
                let name = "\(stream)/\(item.group.name)"
                let lag = item.group.lag ?? 0
                let shown: String
                switch item.group.lagSource {
                case .counted: shown = "~\(lag)"
                case .countedCapped: shown = ">=\(lag)"
                case .redis, nil: shown = "\(lag)"
                }
                judge(name, "lag", value: Double(lag), shown: shown, warn: warnLag.map(Double.init), crit: maxLag.map(Double.init), unit: "")
                let idle = item.pendingIdleSeconds ?? 0
                judge(name, "pending_age", value: idle, shown: "\(Int(idle))s", warn: warnPendingAge?.seconds,
                      crit: maxPendingAge?.seconds, unit: "s")
            }
            if let deadStream, let dead = health.dead {
                judge(deadStream, "dead", value: Double(dead), shown: "\(dead)", warn: warnDead.map(Double.init),
                      crit: maxDead.map(Double.init), unit: "")
            }
            let count = health.groups.count
            let summary = problems.isEmpty
                ? "\(stream): \(count) group\(count == 1 ? "" : "s") within limits" : problems.joined(separator: ", ")
            context.stdout.write("MQCTL \(worst.name) - \(summary) | \(perfdata.joined(separator: " "))\n")
            if worst != .ok { throw ExitCode(worst.rawValue) }
        }

        /// A perfdata label, in single quotes (doubled inside) when it holds
        /// a space, a quote or an equals sign, as the plugin guidelines ask.
        static func perfLabel(_ label: String) -> String {
            guard label.contains(where: { $0 == " " || $0 == "'" || $0 == "=" }) else { return label }
            return "'" + label.replacingOccurrences(of: "'", with: "''") + "'"
        }

        static func number(_ value: Double) -> String {
            value == value.rounded() ? String(Int64(value)) : String(format: "%.1f", value)
        }
    }
}
