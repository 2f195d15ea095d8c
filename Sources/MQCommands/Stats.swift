import ArgumentParser
import Foundation
import MQCore
import MQFormat
import MQParsing
import MQRedis

extension MQCtl {
    struct Stats: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show depth per state and tier, latency, rates and usage of queues.",
            discussion: """
                All queues when none are named. Costs three round trips whatever the number of \
                queues or messages. -o prometheus prints the text exposition format for \
                node_exporter's textfile collector; --watch redraws the table until Ctrl-C, \
                with per-second rates from the change between draws.

                Example: mqctl stats orders mail -o json
                """)

        @OptionGroup var globals: GlobalOptions

        @Argument(help: "Queues to show (default: all).", completion: .queueNames)
        var queues: [String] = []

        @Flag(help: "Redraw every --interval until interrupted.")
        var watch = false

        @Option(help: "Time between redraws with --watch (default 2s).", transform: DurationValue.init(parsing:))
        var interval = DurationValue(milliseconds: 2000)

        func validate() throws {
            guard interval.milliseconds >= 100 else { throw ValidationError("--interval must be at least 100ms") }
        }

        func run(in context: CommandContext) throws {
            let names = try context.queues(queues)
            let broker = try context.broker()
            guard watch else {
                return try render(broker.stats(names), in: context)
            }
            guard context.format == .table else { throw UsageError("--watch draws a table; leave out --format") }
            var previous: (stats: [QueueStats], at: Double)?
            while !Interruption.requested {
                let stats = try broker.connection.withReconnect(onRetry: { error, _, delay in
                    context.stderr.write("mqctl: \(error); retrying in \(TimeText.humanDuration(delay))\n")
                    context.stderr.flush()
                }) { _ in try broker.stats(names) }
                let now = monotonicSeconds()
                // Home the cursor and clear, so the table redraws in place.
                context.stdout.write("\u{1B}[H\u{1B}[2J")
                context.stdout.write("mqctl stats  \(context.configuration)  every \(interval)  \(TimeText.rfc3339(SystemTime().nowMilliseconds(), milliseconds: false))\n\n")
                let renderer = try context.renderer()
                renderer.beginList(key: "queues", columns: Records.statsWatchColumns)
                for queue in stats {
                    var record = Records.stats(queue)
                    let before = previous?.stats.first { $0.queue == queue.queue }
                    let elapsed = previous.map { now - $0.at } ?? 0
                    func rate(_ value: (QueueStats) -> Int64) -> FieldValue {
                        guard let before, elapsed > 0 else { return .null }
                        return .double(Double(value(queue) - value(before)) / elapsed)
                    }
                    record.fields += [
                        ("enqueued_per_s", rate { $0.enqueued }),
                        ("processed_per_s", rate { $0.processed }), ("failed_per_s", rate { $0.failed }),
                    ]
                    renderer.row(record)
                }
                renderer.endList()
                context.stdout.flush()
                previous = (stats, now)
                Interruption.sleep(interval.seconds)
            }
        }

        private func render(_ stats: [QueueStats], in context: CommandContext) throws {
            guard !context.quiet else { return }
            if context.format == .prometheus {
                return PrometheusWriter.write(Self.metrics(stats), to: context.stdout)
            }
            let renderer = try context.renderer()
            var columns = context.format == .table ? Records.statsTableColumns : Records.statsColumns
            // Layout queues are marked with their layout.
            if context.format == .table, stats.contains(where: { $0.layout != nil }) { columns.insert(Column("layout", title: "LAYOUT"), at: 1) }
            renderer.beginList(key: "queues", columns: columns)
            stats.map(Records.stats).forEach(renderer.row)
            renderer.endList()
        }

        static func metrics(_ stats: [QueueStats]) -> [MetricFamily] {
            func family(_ name: String, _ help: String, _ kind: MetricFamily.Kind = .gauge, _ value: (QueueStats) -> Double?) -> MetricFamily {
                MetricFamily(name: "mqctl_queue_\(name)", help: help, kind: kind, samples: stats.compactMap { queue in
                    value(queue).map { (labels: Records.labels(queue), value: $0) }
                })
            }
            var ready = MetricFamily(name: "mqctl_queue_ready", help: "Messages ready to run, by priority tier.", kind: .gauge)
            for queue in stats {
                for tier in Records.tiers(queue) {
                    ready.samples.append((labels: Records.labels(queue) + [("priority", tier.name)], value: Double(tier.count)))
                }
            }
            return [
                ready,
                family("delayed", "Messages waiting for their run-at time.") { Double($0.delayed) },
                family("retry", "Messages waiting to be retried.") { Double($0.retry) },
                family("inflight", "Messages leased to a worker.") { Double($0.inflight) },
                family("dead", "Dead letters.") { Double($0.dead) },
                family("dead_trimmed_total", "Dead letters removed by the dead_max and dead_max_age caps.", .counter) { Double($0.deadTrimmed) },
                family("latency_seconds", "Age of the oldest ready message.") { $0.latencySeconds },
                family("overdue", "Delayed and retry messages due but not yet promoted.") { Double($0.overdue) },
                family("processed_total", "Messages acknowledged.", .counter) { Double($0.processed) },
                family("failed_total", "Failed attempts.", .counter) { Double($0.failed) },
                family("paused", "1 when fetching is paused.") { $0.config.paused ? 1 : 0 },
                family("max_length", "Ready plus delayed messages allowed (absent: no limit).") { $0.config.maxLength.map(Double.init) },
                family("usage_ratio", "Ready plus delayed as a share of max_length.") { $0.usagePercent.map { $0 / 100 } },
            ]
        }
    }
}
