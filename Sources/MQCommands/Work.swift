import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQParsing

extension MQCtl {
    struct Work: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "work",
            abstract: "Run a consumer: a handler command per message, with leases, retries and dead letters. (Changes data.)",
            discussion: """
                Exec mode runs COMMAND once per message with the payload on stdin and MQ_QUEUE, \
                MQ_ID, MQ_ATTEMPT, MQ_MAX_ATTEMPTS, MQ_PRIORITY, MQ_ENQUEUED_AT and MQ_HEADERS \
                (JSON) in its environment. Exit 0 acks; an exit code in --permanent-exit (65) \
                sends the message to the dead letters at once; anything else, a signal, or \
                --handler-timeout retries it with backoff until its attempts are used up. The \
                last 4 KiB of stderr become last_error. --pipe keeps one handler per slot and \
                speaks JSON lines (see the README). Queues are tried in the order given; \
                within a queue, express before urgent before normal.

                With --stream and --group the worker reads a Redis stream as that group's \
                consumer: success acknowledges the entry (XACK); a failure stays pending and is \
                claimed again (XAUTOCLAIM) once idle longer than --lease, its delivery count \
                being its attempt; after --max-attempts (25), or a permanent failure, the entry \
                goes to the dead stream (STREAM:dead) and is acknowledged, in one script.

                SIGTERM or SIGINT stops fetching and lets running handlers finish for --grace; \
                then they are killed and their messages go back to ready without counting \
                the attempt. A second signal skips the wait. A crash loses nothing: leases \
                expire and the reaper retries the messages. Handlers must be idempotent: \
                delivery is at-least-once.

                Under systemd (Type=notify) the worker sends READY=1 once registered, \
                WATCHDOG=1 while its maintenance loop runs (WatchdogSec=), STOPPING=1 on a stop \
                and STATUS= lines; handlers get no NOTIFY_SOCKET. With stderr on the journal \
                ($JOURNAL_STREAM), text lines carry a <N> priority and no timestamp.

                Example: mqctl work orders --burst --max-jobs 10 -- ./handle-order --verbose   # a trial: stops after 10, or when empty
                Example: mqctl work orders --concurrency 4 -- ./handle-order --verbose
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "Queues to consume, in order of preference; then -- and the handler command with its arguments.")
        var queues: [String] = []

        @Option(help: "Read this stream with a consumer group instead of queues.") var stream: String?
        @Option(help: "The consumer group (with --stream).") var group: String?
        @Option(help: "The consumer name stem (with --stream): each slot reads as NAME:SLOT; default: the worker id.") var consumer: String?
        @Option(help: "Where entries that used their attempts go (with --stream; default STREAM:dead).") var deadStream: String?
        @Flag(help: "One long-lived handler per slot, JSON lines on stdin/stdout.") var pipe = false
        @Option(help: "Messages handled at once.") var concurrency = 1
        @Option(help: "Messages fetched at once per slot (default 1; 50 with --pipe).") var batch: Int?
        @Option(help: "Longest a handler may run (default 30m); its process group is killed then.", transform: DurationValue.init(parsing:))
        var handlerTimeout = DurationValue(milliseconds: 1_800_000)
        @Option(help: "Attempts before dead-lettering (default: the queue's).") var maxAttempts: Int64?
        @Option(help: "How the wait grows from attempt to attempt.") var backoff: Backoff.Curve = .exponential
        @Option(help: "Backoff base (default 1s).", transform: DurationValue.init(parsing:)) var backoffBase = DurationValue(milliseconds: 1_000)
        @Option(help: "Longest backoff (default 1h).", transform: DurationValue.init(parsing:)) var backoffMax = DurationValue(milliseconds: 3_600_000)
        @Flag(help: "No random jitter in the backoff.") var noJitter = false
        @Option(help: "Lease length, renewed every third of it (default 30s).", transform: DurationValue.init(parsing:))
        var lease = DurationValue(milliseconds: 30_000)
        @Flag(help: "Exit 0 once the queues are drained.") var burst = false
        @Option(help: "Stop after handling N messages.") var maxJobs: Int?
        @Option(help: "After N consecutive failures stop fetching for --cooldown.") var circuitBreaker: Int?
        @Option(help: "How long the circuit breaker stays open (default 30s).", transform: DurationValue.init(parsing:))
        var cooldown = DurationValue(milliseconds: 30_000)
        @Option(help: "How long running handlers may finish after SIGTERM (default 30s).", transform: DurationValue.init(parsing:))
        var grace = DurationValue(milliseconds: 30_000)
        @Option(help: "Exit codes that mean a permanent failure, comma-separated.") var permanentExit = "65"
        @Option(name: .customLong("pass-env"), help: ArgumentHelp(
            "Keep this variable for the handler though it is one of mqctl's own (MQCTL_*, REDIS_URL, REDISCLI_AUTH, MQ_*); repeatable.",
            valueName: "NAME"))
        var passEnv: [String] = []
        @Option(help: "Log lines as text or JSON.") var logFormat: WorkerLog.Format = .text
        @Option(help: "The least severe lines logged.") var logLevel: LogLevelChoice = .info

        func validate() throws {
            guard queues.isEmpty != (stream == nil) else { throw ValidationError("name the queues, or --stream with --group, one of them") }
            guard (stream == nil) == (group == nil) else { throw ValidationError("--stream and --group go together") }
            guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
            if let batch, !(1...1_000).contains(batch) { throw ValidationError("--batch must be from 1 to 1000") }
            guard lease.milliseconds >= 1_000 else { throw ValidationError("--lease must be at least 1s") }
            if let circuitBreaker, circuitBreaker < 1 { throw ValidationError("--circuit-breaker must be at least 1") }
            if let bad = passEnv.first(where: { !HandlerEnvironment.isValidName($0) }) {
                throw ValidationError("--pass-env takes a variable name, not '\(bad)'")
            }
        }

        func run(in context: CommandContext) throws {
            guard !context.handlerCommand.isEmpty else {
                throw UsageError("give the handler command after --, e.g. mqctl work orders -- ./handle")
            }
            // A handler that cannot start would send every message to retry.
            do { _ = try HandlerCommand(resolving: context.handlerCommand) } catch { throw UsageError("\(error)") }
            let refs = try queues.map(context.queue)
            let layoutQueues = refs.compactMap { if case .layout(let queue) = $0 { queue } else { nil } }
            guard layoutQueues.isEmpty || layoutQueues.count == refs.count else {
                throw UsageError("a worker consumes mqctl's own queues or layout queues, not both; start one of each")
            }
            var options = WorkerOptions(queues: layoutQueues.isEmpty ? refs.map(\.name) : [], command: context.handlerCommand)
            options.layoutQueues = layoutQueues
            options.passEnvironment = Set(passEnv)
            if let stream, let group {
                let streams = MQCore.Streams(connection: try context.connection())
                let create = "create it with: mqctl streams group create \(stream) \(group) --mkstream"
                switch try streams.type(of: stream) {
                case "stream": break
                case "none": throw UsageError("stream '\(stream)' does not exist; \(create)")
                case let other: throw StreamsError.notAStream(key: stream, type: other)
                }
                guard try streams.groups(stream).contains(where: { $0.name == group }) else {
                    throw UsageError("stream '\(stream)' has no group '\(group)'; \(create)")
                }
                options.stream = (stream, group, consumer, deadStream)
            }
            options.pipe = pipe
            options.concurrency = concurrency
            options.batch = batch ?? (pipe ? 50 : 1)
            options.timeout = handlerTimeout.milliseconds
            options.maxAttempts = maxAttempts
            options.backoff = Backoff(curve: backoff, base: backoffBase.milliseconds,
                                      maximum: backoffMax.milliseconds, jitter: !noJitter)
            options.lease = lease.milliseconds
            options.burst = burst
            options.maxJobs = maxJobs
            options.circuitBreaker = circuitBreaker
            options.cooldown = cooldown.milliseconds
            options.grace = grace.milliseconds
            options.permanentExitCodes = Set(try permanentExit.split(separator: ",").map { text in
                guard let code = Int32(text.trimmingBlanks()), (1...255).contains(code) else {
                    throw UsageError("--permanent-exit: '\(text)' is not an exit code from 1 to 255")
                }
                return code
            })
            let stderr = context.stderr
            // --quiet keeps warnings and errors only.
            let level = max(logLevel.level, context.quiet ? .warn : .debug)
            // Under systemd, stderr connected to the journal: no timestamps of our own, a priority per line.
            let log = WorkerLog(level: level, format: logFormat,
                                journal: JournalStream.isConnected(fd: 2, environment: context.environment)) { line in
                stderr.write(line)
                stderr.flush()
            }
            let notify = SystemdNotify(environment: context.environment) { log.log(.debug, $0) }
            try Worker(configuration: try context.connectingConfiguration(), prefix: context.prefix, options: options, log: log, notify: notify).run()
        }
    }
}
