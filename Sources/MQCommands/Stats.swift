import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQParsing
import MQRedis

extension MQCtl {
    struct Stats: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Show depth per state and tier, latency, rates and usage of queues.",
            discussion: """
                All queues when none are named; a queue named that does not exist is an error \
                (exit 1, with the nearest known name) unless --allow-missing. Costs three round \
                trips whatever the number of queues or messages. Latency is the age of the \
                oldest ready message at a tier's head since it was first enqueued, so a \
                replayed, imported or migrated message keeps its age; a table adds WAITING, the \
                time since that message became due, when the two differ. An empty queue has no \
                latency (- in tables, null in JSON).

                A queue whose keys cannot be read (a key of another type, a corrupt setting) is \
                an ERROR row with the reason, and its error on stderr; the other queues are \
                shown as usual, and the exit code is the error's (65 for a wrong type).

                -o prometheus prints the text exposition format for node_exporter's textfile \
                collector: mqctl_up (0 when Redis could not be read: then nothing else but \
                mqctl_scrape_duration_seconds), mqctl_queue_up per queue (0 for a queue that \
                cannot be read or does not exist), depths, latency, expired leases, the oldest \
                dead letter's age, enqueued, processed and failed totals, live workers and \
                Redis memory. --output FILE writes it (or any format) to FILE atomically: a \
                temporary file in the same folder, renamed over FILE, so the collector never \
                reads a partial or empty file; when Redis is down FILE gets mqctl_up 0 and the \
                exit code is still 69.

                --watch redraws the table until Ctrl-C, with per-second rates from the change \
                between draws.

                Example: mqctl stats orders mail -o json
                Example (cron): * * * * * mqctl stats -o prometheus --output /var/lib/prometheus/node-exporter/mqctl.prom -q
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @Argument(help: "Queues to show (default: all).", completion: .queueNames)
        var queues: [String] = []

        @OptionGroup var missing: MissingQueueOption

        @Option(help: ArgumentHelp("Write the output to this file, replacing it atomically (for node_exporter's textfile collector).",
                                   valueName: "file"))
        var output: String?

        @Flag(help: "Redraw every --interval until interrupted.")
        var watch = false

        @Option(help: "Time between redraws with --watch (default 2s).", transform: DurationValue.init(parsing:))
        var interval = DurationValue(milliseconds: 2000)

        func validate() throws {
            guard interval.milliseconds >= 100 else { throw ValidationError("--interval must be at least 100ms") }
            if watch && output != nil { throw ValidationError("--watch draws on the terminal; leave out --output") }
        }

        func run(in context: CommandContext) throws {
            if watch { return try watchStats(in: context) }
            let started = monotonicSeconds()
            let sink = output == nil ? context.stdout : OutputSink.memory()
            let code = context.format == .prometheus
                ? try prometheus(to: sink, started: started, in: context)
                : try table(to: sink, in: context)
            if let output { try AtomicFile.write(sink.captured, to: output) }
            if code != 0 { throw ExitCode(code) }
        }

        /// Rows for people and programs; the exit code of the first queue
        /// that could not be read, else 0.
        private func table(to sink: OutputSink, in context: CommandContext) throws -> Int32 {
            let refs = try context.queues(queues, allowMissing: missing.allowMissing)
            let readings = try context.broker().statsReadings(refs)
            var code: Int32 = 0
            var errors: [String?] = []
            for reading in readings {
                guard let error = reading.error else { errors.append(nil); continue }
                let failure = Self.report(error, queue: reading.queue.name.rawValue, in: context)
                code = code == 0 ? failure.code : code
                errors.append(failure.message)
            }
            guard !context.quiet || output != nil else { return code }
            let renderer = output == nil ? try context.renderer() : context.format.renderer(to: sink)
            let base = context.format.isTable ? Records.statsTableColumns : Records.statsColumns
            renderer.beginList(key: "queues", columns: StatsRows.columns(readings, format: context.format, base: base))
            for (reading, error) in zip(readings, errors) { renderer.row(StatsRows.row(reading, error: error, format: context.format)) }
            renderer.endList()
            return code
        }

        /// The exposition format. Whatever fails is said on stderr and in
        /// the metrics (`mqctl_up 0`, `mqctl_queue_up 0`), so a textfile
        /// collector always gets a whole, true file; the exit code is the
        /// first failure's.
        private func prometheus(to sink: OutputSink, started: Double, in context: CommandContext) throws -> Int32 {
            var scrape = StatsMetrics.Scrape(seconds: 0)
            var code: Int32 = 0
            func failed(_ error: Error, queue: String? = nil) {
                let failure = Self.report(error, queue: queue, in: context)
                code = code == 0 ? failure.code : code
            }
            do {
                let broker = try context.broker()
                let named: [(ref: QueueRef, missing: CommandFailure?)] = queues.isEmpty || missing.allowMissing
                    ? try context.queues(queues, allowMissing: true).map { ($0, nil) } : try context.namedQueues(queues)
                let readings = try broker.statsReadings(named.filter { $0.missing == nil }.map(\.ref))
                for item in named { if let missing = item.missing { failed(missing) } }
                for reading in readings { if let error = reading.error { failed(error, queue: reading.queue.name.rawValue) } }
                scrape.readings = readings
                scrape.missing = named.filter { $0.missing != nil }.map(\.ref)
                do { scrape.vitals = try broker.vitals() } catch { failed(error) }
            } catch where ExitStatus(for: error) == .usage {
                // A name mqctl cannot take: the command line is wrong, not the server.
                throw error
            } catch {
                failed(error)
            }
            scrape.seconds = monotonicSeconds() - started
            if !context.quiet || output != nil { PrometheusWriter.write(StatsMetrics.families(scrape), to: sink) }
            return code
        }

        /// Writes `mqctl: error: [queue 'Q': ]MESSAGE` (and a hint) on
        /// stderr; the message and the exit code the error has.
        private static func report(_ error: Error, queue: String?, in context: CommandContext) -> (message: String, code: Int32) {
            let error = context.explained(error)
            let report = ErrorReport.message(for: error, configuration: context.configuration)
            context.stderr.write("mqctl: error: \(queue.map { "queue '\($0)': " } ?? "")\(report.message)\n")
            if let hint = report.hint { context.stderr.write("hint: \(hint)\n") }
            return (report.message, ExitStatus(for: error).rawValue)
        }

        private func watchStats(in context: CommandContext) throws {
            let refs = try context.queues(queues, allowMissing: missing.allowMissing)
            let broker = try context.broker()
            var previous: (stats: [QueueStats], at: Double)?
            try Watch(context, interval: interval, title: "mqctl stats  \(context.configuration)").run(on: broker.connection) { renderer in
                let readings = try broker.statsReadings(refs)
                let now = monotonicSeconds()
                renderer.beginList(key: "queues", columns: StatsRows.columns(readings, format: context.format, base: Records.statsWatchColumns))
                for reading in readings {
                    let message = reading.error.map { ErrorReport.message(for: context.explained($0), configuration: context.configuration).message }
                    var record = StatsRows.row(reading, error: message, format: context.format)
                    if let queue = reading.stats {
                        let before = previous?.stats.first { $0.queue == queue.queue && $0.layout == queue.layout }
                        let elapsed = previous.map { now - $0.at } ?? 0
                        func rate(_ value: (QueueStats) -> Int64) -> FieldValue {
                            guard let before, elapsed > 0 else { return .null }
                            return .double(Double(value(queue) - value(before)) / elapsed)
                        }
                        record.fields += [
                            ("enqueued_per_s", rate { $0.enqueued }),
                            ("processed_per_s", rate { $0.processed }), ("failed_per_s", rate { $0.failed }),
                        ]
                    }
                    renderer.row(record)
                }
                renderer.endList(["time": .time(SystemTime().nowMilliseconds())])
                previous = (readings.compactMap(\.stats), now)
            }
        }
    }
}
