import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQParsing
import MQRedis

extension MQCtl {
    struct Check: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check queues, or a stream's consumer groups, against thresholds, for Nagios-style monitoring.",
            discussion: """
                Prints one status line with perfdata and exits 0 OK, 1 WARNING, 2 CRITICAL or \
                3 UNKNOWN; -o json prints the same as an object (status, exit_code, summary, \
                problems, each queue's metrics with their thresholds, perfdata). --max-* set \
                CRITICAL thresholds, --warn-* WARNING ones; a queue is judged by the worst of its \
                values. The status line names the worst level's problems first, then the others \
                after their level: "orders ready 30 > 20; WARNING: mail latency 90s > 60s".

                A count or a percentage takes a Nagios range: N alerts above N, N: below N, ~:N \
                above N, N:M outside N to M, @N:M inside it; usage takes 95 or 95%. A duration \
                (10s, 5m, 1h) alerts above it. A warning that would trip after its critical \
                (--warn-ready 100 --max-ready 50) is refused.

                The config file's [check] table holds standing thresholds under the options' \
                names: warn_ready = 100, max_latency = "5m", max_usage = "95%", max_fail_rate = 50 \
                (a count or range as a number or in quotes, a duration in quotes). An option \
                given replaces the file's value of the same name; `mqctl top` colours its rows \
                by the same thresholds.

                All queues when none are named. A queue named that does not exist (not \
                registered, no keys, not a layout's) is UNKNOWN, with the nearest known name; \
                so is a check with no thresholds, or with no queues at all; --allow-missing \
                counts a missing queue as empty. A queue whose keys cannot be read (a key of \
                another type, a corrupt setting) is CRITICAL, the others are judged as usual; \
                Redis unreachable is UNKNOWN. With a problem of each kind, CRITICAL outranks \
                UNKNOWN, which outranks WARNING.

                Perfdata has each queue's ready, latency, dead and (with a max_length) usage, \
                whatever the thresholds, and each other value that has a threshold. Latency is \
                the age of the oldest ready message at a tier's head since it was first \
                enqueued (so a replayed message keeps its age); 0 in perfdata for an empty \
                queue, null in JSON. --max-paused reads when a queue was paused from the audit \
                log (`queues pause`); a pause the log no longer holds counts from its oldest \
                entry, and one it never held is UNKNOWN.

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
                Example: mqctl check --warn-usage 80% --max-usage 95% --max-fail-rate 50 --max-paused 30m -o json
                Example: mqctl check --stream events:orders --group billing --max-lag 1000 --max-pending-age 1m --dead-stream events:orders:dead --max-dead 0
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @Argument(help: "Queues to check (default: all).", completion: .queueNames)
        var queues: [String] = []

        @Option(help: "CRITICAL when ready messages exceed N (or a range).", transform: count) var maxReady: ThresholdRange?
        @Option(help: "WARNING when ready messages exceed N (or a range).", transform: count) var warnReady: ThresholdRange?
        @Option(help: "CRITICAL when the oldest ready message is older.", transform: DurationValue.init(parsing:)) var maxLatency: DurationValue?
        @Option(help: "WARNING when the oldest ready message is older.", transform: DurationValue.init(parsing:)) var warnLatency: DurationValue?
        @Option(help: "CRITICAL when dead letters exceed N (or a range).", transform: count) var maxDead: ThresholdRange?
        @Option(help: "WARNING when dead letters exceed N (or a range).", transform: count) var warnDead: ThresholdRange?
        @Option(help: "CRITICAL when usage of max_length exceeds PCT (95 or 95%).", transform: percent) var maxUsage: ThresholdRange?
        @Option(help: "WARNING when usage of max_length exceeds PCT (95 or 95%).", transform: percent) var warnUsage: ThresholdRange?
        @Option(help: "CRITICAL when due delayed and retry messages not yet promoted exceed N.", transform: count) var maxOverdue: ThresholdRange?
        @Option(help: "WARNING when due messages not yet promoted exceed N.", transform: count) var warnOverdue: ThresholdRange?
        @Option(help: "CRITICAL when messages waiting to be retried exceed N.", transform: count) var maxRetry: ThresholdRange?
        @Option(help: "WARNING when messages waiting to be retried exceed N.", transform: count) var warnRetry: ThresholdRange?
        @Option(help: "CRITICAL when messages leased to workers exceed N.", transform: count) var maxInflight: ThresholdRange?
        @Option(help: "WARNING when messages leased to workers exceed N.", transform: count) var warnInflight: ThresholdRange?
        @Option(help: "CRITICAL when more than N attempts failed in the last full minute.", transform: count) var maxFailRate: ThresholdRange?
        @Option(help: "WARNING when more than N attempts failed in the last full minute.", transform: count) var warnFailRate: ThresholdRange?
        @Option(help: "CRITICAL when more than N enqueues were refused at max_length in the last full minute.", transform: count)
        var maxRejected: ThresholdRange?
        @Option(help: "WARNING when more than N enqueues were refused at max_length in the last full minute.", transform: count)
        var warnRejected: ThresholdRange?
        @Option(help: "CRITICAL when a queue has been paused for longer.", transform: DurationValue.init(parsing:)) var maxPaused: DurationValue?
        @Option(help: "WARNING when a queue has been paused for longer.", transform: DurationValue.init(parsing:)) var warnPaused: DurationValue?
        @Flag(help: "Count a queue named that does not exist as empty, and no queues at all as OK.") var allowMissing = false

        @Option(help: "Check this stream's consumer groups instead of queues.") var stream: String?
        @Option(help: "With --stream: a group to check; repeatable (default: all its groups).") var group: [String] = []
        @Option(help: "With --stream: CRITICAL when a group's lag (entries not yet delivered) exceeds N.", transform: count)
        var maxLag: ThresholdRange?
        @Option(help: "With --stream: WARNING when a group's lag exceeds N.", transform: count) var warnLag: ThresholdRange?
        @Option(help: "With --stream: CRITICAL when a pending entry has been idle longer.", transform: DurationValue.init(parsing:))
        var maxPendingAge: DurationValue?
        @Option(help: "With --stream: WARNING when a pending entry has been idle longer.", transform: DurationValue.init(parsing:))
        var warnPendingAge: DurationValue?
        @Option(help: "With --stream: the dead stream --max-dead and --warn-dead count.") var deadStream: String?

        @Sendable static func count(_ text: String) throws -> ThresholdRange { try ThresholdRange(parsing: text) }
        @Sendable static func percent(_ text: String) throws -> ThresholdRange { try ThresholdRange(parsing: text, percent: true) }

        func validate() throws {
            if stream != nil {
                if !queues.isEmpty { throw ValidationError("give queues or --stream, not both") }
                let queueOnly = [
                    (maxReady != nil, "--max-ready"), (maxLatency != nil, "--max-latency"), (maxUsage != nil, "--max-usage"),
                    (warnReady != nil, "--warn-ready"), (warnLatency != nil, "--warn-latency"), (warnUsage != nil, "--warn-usage"),
                    (maxOverdue != nil || warnOverdue != nil, "--max-overdue"), (maxRetry != nil || warnRetry != nil, "--max-retry"),
                    (maxInflight != nil || warnInflight != nil, "--max-inflight"), (maxFailRate != nil || warnFailRate != nil, "--max-fail-rate"),
                    (maxRejected != nil || warnRejected != nil, "--max-rejected"),
                    (maxPaused != nil || warnPaused != nil, "--max-paused"), (allowMissing, "--allow-missing"),
                ]
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
            if let reason = optionThresholds.misordering(spell: Self.option) { throw ValidationError(reason) }
            if let warning = warnLag, let critical = maxLag, let reason = ThresholdRange.misordered(warning: warning, critical: critical) {
                throw ValidationError("--warn-lag \(warning) would trip after --max-lag \(critical): \(reason)")
            }
            if let warning = warnPendingAge, let critical = maxPendingAge, warning > critical {
                throw ValidationError("--warn-pending-age \(warning) would trip after --max-pending-age \(critical): a warning comes first")
            }
        }

        /// `--warn-fail-rate` for ("warn", "fail_rate").
        static func option(_ level: String, _ name: String) -> String { "--\(level)-\(name.replacingLiteral("_", with: "-"))" }

        /// The queue thresholds the options give.
        private var optionThresholds: QueueThresholds {
            var thresholds = QueueThresholds()
            thresholds.ready = .init(warning: warnReady, critical: maxReady)
            thresholds.dead = .init(warning: warnDead, critical: maxDead)
            thresholds.usage = .init(warning: warnUsage, critical: maxUsage)
            thresholds.overdue = .init(warning: warnOverdue, critical: maxOverdue)
            thresholds.retry = .init(warning: warnRetry, critical: maxRetry)
            thresholds.inflight = .init(warning: warnInflight, critical: maxInflight)
            thresholds.failRate = .init(warning: warnFailRate, critical: maxFailRate)
            thresholds.rejected = .init(warning: warnRejected, critical: maxRejected)
            thresholds.latency = .init(warning: warnLatency, critical: maxLatency)
            thresholds.paused = .init(warning: warnPaused, critical: maxPaused)
            return thresholds
        }

        func run(in context: CommandContext) throws {
            guard [.table, .json, .ndjson].contains(context.format) else {
                throw UsageError("check prints a status line, or an object with -o json; not \(context.format.rawValue)")
            }
            let report = try stream.map { try checkStream($0, in: context) } ?? checkQueues(in: context)
            if context.format.isTable {
                context.stdout.write(report.statusLine + "\n")
            } else {
                try context.renderer().single(report.record)
            }
            if report.level != .ok { throw ExitCode(report.level.rawValue) }
        }

        /// A report that says only that nothing could be checked, and why.
        private func unknown(_ kind: String, _ message: String) -> CheckReport {
            var report = CheckReport(kind: kind, allClear: "")
            report.notes = [(.unknown, message)]
            return report
        }

        private func unknown(_ kind: String, _ error: Error, in context: CommandContext) -> CheckReport {
            unknown(kind, ErrorReport.message(for: context.explained(error), configuration: context.configuration).message)
        }

        private func checkQueues(in context: CommandContext) throws -> CheckReport {
            // The config file's [check] table, each option given replacing its value.
            let thresholds = try context.layoutFile().checkThresholds.overridden(by: optionThresholds)
            if let reason = thresholds.misordering(spell: { "\($0)_\($1)" }) {
                throw UsageError("the options over the config file's [check]: \(reason)")
            }
            let named: [(ref: QueueRef, missing: CommandFailure?)]
            let readings: [QueueReading]
            var pauses: [QueueName: PauseStart] = [:]
            let now: Int64
            do {
                let broker = try context.broker()
                now = broker.time.nowMilliseconds()
                named = queues.isEmpty ? try context.queues([]).map { ($0, nil) }
                    : allowMissing ? try context.existingQueues(queues, allowMissing: true).map { ($0, nil) }
                    : try context.namedQueues(queues)
                readings = try broker.statsReadings(named.filter { $0.missing == nil }.map(\.ref))
                if thresholds.paused != QueueThresholds.Durations() {
                    let paused = readings.compactMap { reading in reading.stats.flatMap { $0.config.paused && $0.layout == nil ? $0.queue : nil } }
                    if !paused.isEmpty { pauses = try broker.pauseStarts(paused) }
                }
            } catch where ExitStatus(for: error) == .usage {
                // A name mqctl cannot take is the caller's mistake, not the server's state.
                throw error
            } catch {
                return unknown("queues", error, in: context)
            }
            var report = CheckReport(kind: "queues", allClear: "\(named.count) queue\(named.count == 1 ? "" : "s") within limits")
            var read = readings.makeIterator()
            for item in named {
                if let missing = item.missing {
                    report.subjects.append(CheckSubject(
                        name: item.ref.name.rawValue, layout: item.ref.layoutName,
                        failure: (.unknown, missing.message + (missing.hint.map { " (\($0))" } ?? ""))))
                    continue
                }
                let reading = read.next()!
                switch reading.result {
                case .success(let stats):
                    report.subjects.append(CheckSubject(name: stats.queue.rawValue, layout: stats.layout ?? "native",
                                                        metrics: thresholds.metrics(stats, pause: pauses[stats.queue], now: now)))
                case .failure(let error):
                    let error = context.explained(error)
                    // Keys that hold the wrong thing stop the queue's moves: as bad as a full queue.
                    let level: CheckLevel = ExitStatus(for: error) == .dataError ? .critical : .unknown
                    let message = ErrorReport.message(for: error, configuration: context.configuration).message
                    report.subjects.append(CheckSubject(name: item.ref.name.rawValue, layout: item.ref.layoutName,
                                                        failure: (level, "\(item.ref.name): \(message)")))
                }
            }
            if named.isEmpty && !allowMissing {
                report.notes.append((.unknown, "no queues to check: none are known under the prefix '\(context.prefix)' (name them, or --allow-missing)"))
            }
            if thresholds.isEmpty {
                report.notes.append((.unknown, "no thresholds given: set at least one --max-* or --warn-*, or a [check] table in the config file (see mqctl check --help)"))
            }
            return report
        }

        /// `--stream` mode: the same status line, perfdata and exit codes,
        /// over the groups of one stream and its dead stream.
        private func checkStream(_ stream: String, in context: CommandContext) throws -> CheckReport {
            let health: StreamHealth
            do {
                let probes = [warnPendingAge, maxPendingAge].compactMap { $0?.milliseconds }
                let largest = [warnLag, maxLag].compactMap { $0 }.flatMap { [$0.start, $0.end] }.filter(\.isFinite).max() ?? 0
                let cap = max(MQCore.Streams.defaultLagCap, Int(min(max(largest, 0), 1e15)) + 1)
                health = try MQCore.Streams(connection: context.connection())
                    .health(stream, groups: group, idleProbes: probes, deadStream: deadStream, lagCap: cap)
            } catch let error as StreamsError {
                return unknown("groups", "\(error)")
            } catch {
                return unknown("groups", error, in: context)
            }
            if health.groups.isEmpty { return unknown("groups", "stream '\(stream)' has no consumer groups") }
            let count = health.groups.count
            var report = CheckReport(kind: "groups", allClear: "\(stream): \(count) group\(count == 1 ? "" : "s") within limits")
            for item in health.groups {
                let lag = item.group.lag ?? 0
                let shown: String
                switch item.group.lagSource {
                case .counted: shown = "~\(lag)"
                case .countedCapped: shown = ">=\(lag)"
                case .redis, nil: shown = "\(lag)"
                }
                let idle = item.pendingIdleSeconds ?? 0
                report.subjects.append(CheckSubject(name: "\(stream)/\(item.group.name)", metrics: [
                    CheckMetric(label: "lag", field: "lag", value: Double(lag), json: .int(lag), shown: shown, warning: warnLag, critical: maxLag),
                    CheckMetric(label: "pending_age", field: "pending_age_seconds", value: idle, json: .seconds(idle), shown: "\(Int(idle))s",
                                unit: "s", warning: warnPendingAge.map { ThresholdRange(above: $0.seconds) },
                                critical: maxPendingAge.map { ThresholdRange(above: $0.seconds) }),
                ]))
            }
            if let deadStream, let dead = health.dead {
                report.subjects.append(CheckSubject(name: deadStream, metrics: [
                    CheckMetric(label: "dead", field: "dead", value: Double(dead), json: .int(dead), shown: "\(dead)", warning: warnDead, critical: maxDead),
                ]))
            }
            if [maxLag, warnLag, maxDead, warnDead].allSatisfy({ $0 == nil }) && maxPendingAge == nil && warnPendingAge == nil {
                report.notes.append((.unknown, "no thresholds given: set --max-lag, --max-pending-age or --max-dead (or their --warn-*)"))
            }
            return report
        }
    }
}
