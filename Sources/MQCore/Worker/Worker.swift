import Foundation
import MQRedis

/// What `mqctl work` was asked to do.
public struct WorkerOptions: Sendable {
    public var queues: [QueueName]
    /// Read a stream with a consumer group instead of queues.
    public var stream: (key: String, group: String, consumer: String?, deadStream: String?)?
    public var command: [String]
    /// One long-lived handler per slot speaking JSON lines, instead of a
    /// process per message.
    public var pipe = false
    public var concurrency = 1
    /// Per message (exec) or per batch (pipe), ms.
    public var timeout: Int64 = 1_800_000
    /// Overrides the queue's max_attempts.
    public var maxAttempts: Int64?
    public var backoff = Backoff()
    /// Lease length, ms; renewed every third of it while a handler runs.
    public var lease: Int64 = 30_000
    /// Exit 0 once the queues are drained.
    public var burst = false
    public var maxJobs: Int?
    /// Open after this many consecutive failures...
    public var circuitBreaker: Int?
    /// ...for this long (ms), then let one message through.
    public var cooldown: Int64 = 30_000
    /// How long running handlers may finish after SIGTERM/SIGINT, ms.
    public var grace: Int64 = 30_000
    public var permanentExitCodes: Set<Int32> = [65]
    /// Messages fetched at once per slot (pipe mode takes more).
    public var batch = 1

    public init(queues: [QueueName], command: [String]) {
        self.queues = queues
        self.command = command
    }
}

/// The consumer worker: `concurrency` slots, each a thread with its own
/// connection that fetches, runs the handler and settles the result, and a
/// maintenance thread that extends leases, promotes due messages, reaps
/// expired leases and sends heartbeats. Blocking I/O runs on these threads
/// of its own, never on the Swift concurrency pool.
///
/// Nothing is lost on a crash: a message is in inflight with a lease from
/// fetch to settle, and a lease that is not renewed expires and the reaper
/// (of any worker, or `mqctl reap`) sends it to retry.
public final class Worker: @unchecked Sendable {
    public let id: String
    let configuration: RedisConfiguration
    let prefix: String
    let options: WorkerOptions
    let log: WorkerLog
    let time: TimeSource
    private let state = NSLock()
    private var stopping = false
    /// When stopping began, for the grace period.
    private var stoppingSince: Date?
    private var forced = false
    private var finished = false
    /// Bad data that will not mend itself (a key of the wrong type, a
    /// corrupt setting): the worker stops and `run` throws it.
    private var fatal: MQError?
    private var inHand: [Int: [Delivery]] = [:]
    private var jobsDone = 0
    private var consecutiveFailures = 0
    private var breakerOpenUntil: Double?
    private var halfOpenTrial = false
    private let started = Date()
    private let source: WorkSource

    public init(configuration: RedisConfiguration, prefix: String, options: WorkerOptions, log: WorkerLog, time: TimeSource = SystemTime()) {
        self.configuration = configuration
        self.prefix = prefix
        self.options = options
        self.log = log
        self.time = time
        let host = ProcessInfo.processInfo.hostName
        let id = "\(host)-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        self.id = id
        if let stream = options.stream {
            source = StreamSource(stream: stream.key, group: stream.group, consumer: stream.consumer ?? host,
                                  deadStream: stream.deadStream ?? "\(stream.key):dead", lease: options.lease,
                                  maxAttempts: options.maxAttempts ?? QueueConfig().maxAttempts)
        } else {
            let backoff = options.backoff
            source = QueueSource(queues: options.queues, lease: options.lease, retryDelay: { backoff.delay(afterAttempt: 1) })
        }
    }

    /// Runs until stopped by SIGTERM/SIGINT (exit 0 after a graceful stop),
    /// drained in burst mode, or --max-jobs reached. Throws only when Redis
    /// cannot be reached at start.
    public func run() throws {
        // Signals are taken by a thread of ours with sigwait; every other
        // thread, and so every handler, has them blocked (handlers get an
        // empty mask when spawned).
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        let maintenance = try Broker(connection: RedisConnection(configuration: configuration), prefix: prefix, time: time)
        // A key of the wrong type will not mend itself: refuse to start.
        if options.stream == nil {
            try maintenance.checkKeyTypes(options.queues)
            for queue in options.queues { _ = try maintenance.config(queue) }
        }
        try maintenance.heartbeat(id, fields: registration())
        log.log(.info, "worker started", [
            ("id", id), ("queues", source.names.joined(separator: ",")),
            ("concurrency", String(options.concurrency)), ("mode", options.pipe ? "pipe" : "exec"),
        ])

        let mask = signals
        let signalThread = Thread { [self] in
            var waitFor = mask
            var caught: Int32 = 0
            while true {
                sigwait(&waitFor, &caught)
                let second = state.withLock { () -> Bool in
                    defer { requestStop() }
                    if stopping { forced = true }
                    return stopping
                }
                log.log(.info, second ? "second signal: stopping now" : "signal \(caught): stopping; running handlers may finish",
                        second ? [] : [("grace", "\(options.grace / 1000)s")])
            }
        }
        signalThread.start()

        let slots = DispatchGroup()
        for slot in 0..<options.concurrency {
            slots.enter()
            let thread = Thread { [self] in
                defer { slots.leave() }
                runSlot(slot)
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        let maintenanceThread = Thread { [self] in maintain(maintenance) }
        maintenanceThread.start()

        // Wait for the slots; once stopping, at most the grace period, then
        // force the handlers out.
        while slots.wait(timeout: .now() + 0.1) == .timedOut {
            let graceOver = state.withLock { () -> Bool in
                guard let since = stoppingSince, !forced, Date().timeIntervalSince(since) * 1000 >= Double(options.grace) else { return false }
                forced = true
                return true
            }
            if graceOver { log.log(.warn, "grace period over: killing running handlers; their messages go back to ready") }
        }
        state.withLock { finished = true }
        try? maintenance.connection.withReconnect(ReconnectPolicy(maximumAttempts: 3)) { _ in try maintenance.unregister(id) }
        log.log(.info, "worker stopped", [("id", id), ("handled", String(state.withLock { jobsDone }))])
        if let fatal = state.withLock({ fatal }) { throw fatal }
    }

    /// Stops fetching; call with `state` held.
    private func requestStop() {
        if !stopping {
            stopping = true
            stoppingSince = Date()
        }
    }

    private func registration() -> [(String, String)] {
        let held = state.withLock { inHand.values.map(\.count).reduce(0, +) }
        return [
            ("host", ProcessInfo.processInfo.hostName), ("pid", String(getpid())),
            ("queues", source.names.joined(separator: ",")), ("concurrency", String(options.concurrency)),
            ("mode", options.pipe ? "pipe" : "exec"), ("started", String(Int64(started.timeIntervalSince1970 * 1000))),
            ("in_hand", String(held)), ("breaker", breakerState), ("handled", String(state.withLock { jobsDone })),
        ]
    }

    private var breakerState: String {
        state.withLock { breakerOpenUntil == nil ? "closed" : halfOpenTrial ? "half-open" : "open" }
    }

    // MARK: - Slots

    private func runSlot(_ slot: Int) {
        let handler: Handler = options.pipe
            ? PipeHandler(command: options.command, timeout: Double(options.timeout) / 1000) { [log] in log.log(.warn, $0) }
            : ExecHandler(command: options.command, timeout: Double(options.timeout) / 1000, permanentExitCodes: options.permanentExitCodes)
        defer { handler.shutdown() }
        let broker: Broker
        do {
            broker = Broker(connection: try connectWithRetry(), prefix: prefix, time: time)
        } catch {
            return
        }
        var sequence = 0
        // Who listens to events, asked at most once a second rather than
        // before every publish.
        var listening: (channels: Set<String>, at: Double) = ([], -1)
        func listened() -> Set<String> {
            let now = monotonicSeconds()
            if now - listening.at >= 1 {
                listening = (withRedis(broker) { try broker.listenedChannels(options.queues) } ?? [], now)
            }
            return listening.channels
        }
        while !state.withLock({ stopping }) {
            guard let (allowed, trial) = admit() else {
                usleep(100_000)
                continue
            }
            sequence += 1
            let token = "\(id):\(slot):\(sequence)"
            let deliveries = withRedis(broker) { try source.fetch(broker, count: allowed, token: token) } ?? []
            guard !deliveries.isEmpty else {
                // An empty trial fetch gives the trial back for the next one.
                if trial { state.withLock { halfOpenTrial = false } }
                if options.burst, withRedis(broker, { try source.drained(broker) && state.withLock { inHand.values.allSatisfy(\.isEmpty) } }) == true {
                    log.log(.info, "queues drained (burst mode): stopping")
                    state.withLock { requestStop() }
                    break
                }
                _ = withRedis(broker) { try source.waitForWork(broker) }
                continue
            }
            state.withLock { inHand[slot] = deliveries }
            for delivery in deliveries {
                log.log(.debug, "started", [("queue", delivery.source), ("id", delivery.envelope.id), ("attempt", String(delivery.envelope.attempts))])
            }
            let channels = listened()
            if !channels.isEmpty {
                _ = withRedis(broker) {
                    try broker.publish(deliveries.compactMap { delivery in
                        delivery.queue.map { ($0, "started", delivery.envelope.id, ["attempt": String(delivery.envelope.attempts), "worker": id]) }
                    }, listened: channels)
                }
            }
            let results = handler.process(deliveries) { state.withLock { forced } }
            settle(broker, deliveries, results, listened: listened())
            state.withLock { inHand[slot] = nil }
        }
    }

    /// How many messages the slot may take now: none while the circuit
    /// breaker is open, one as its trial, else a batch; nil to wait.
    private func admit() -> (count: Int, trial: Bool)? {
        state.withLock {
            if let limit = options.maxJobs, jobsDone >= limit {
                requestStop()
                return nil
            }
            guard let openUntil = breakerOpenUntil else { return (options.batch, false) }
            guard monotonicSeconds() >= openUntil, !halfOpenTrial else { return nil }
            halfOpenTrial = true
            return (1, true)
        }
    }

    private func settle(_ broker: Broker, _ deliveries: [Delivery], _ results: [AttemptResult], listened: Set<String>) {
        let now = time.nowMilliseconds()
        var outcomes: [(delivery: Delivery, result: AttemptResult, retryAt: Int64?)] = []
        var events: [(queue: QueueName, event: String, id: String, fields: [String: String])] = []
        for (delivery, result) in zip(deliveries, results) {
            let envelope = delivery.envelope
            var retryAt: Int64?
            switch result {
            case .succeeded:
                guard let queue = delivery.queue else { break }
                events.append((queue, "succeeded", envelope.id,
                               ["attempt": String(envelope.attempts), "enqueued_at": String(envelope.enqueuedAt)]))
            case .failed(let error, let permanent):
                let maximum = options.maxAttempts ?? envelope.maxAttempts
                if !permanent && envelope.attempts < maximum {
                    retryAt = now + options.backoff.delay(afterAttempt: envelope.attempts)
                }
                if let queue = delivery.queue {
                    events.append((queue, retryAt == nil ? "dead" : "retried", envelope.id,
                                   ["attempt": String(envelope.attempts), "error": String(error.prefix(500))]))
                }
                log.log(.debug, retryAt == nil ? "dead" : "failed, will retry", [("queue", delivery.source), ("id", envelope.id), ("error", String(error.prefix(200)))])
            case .interrupted:
                break
            }
            outcomes.append((delivery, result, retryAt))
        }
        // The settle must reach Redis: retry through reconnects until it
        // does, unless the worker is being forced out (then the leases
        // expire and the reaper returns the messages).
        var lost = 0
        while true {
            if let count = withRedis(broker, { try source.settle(broker, outcomes) }) {
                lost = count
                break
            }
            if state.withLock({ forced || fatal != nil }) { return }
        }
        if lost > 0 {
            log.log(.warn, "lease lost before the result was recorded; the message will run again", [("count", String(lost))])
        }
        if !listened.isEmpty {
            _ = withRedis(broker) { try broker.publish(events, listened: listened) }
        }
        recordForBreaker(results)
    }

    private func recordForBreaker(_ results: [AttemptResult]) {
        let settled = results.filter { $0 != .interrupted }
        state.withLock { jobsDone += settled.count }
        guard let threshold = options.circuitBreaker, !settled.isEmpty else { return }
        let failedAll = settled.allSatisfy { if case .failed = $0 { return true } else { return false } }
        let message: String? = state.withLock {
            if failedAll {
                consecutiveFailures += settled.count
                if halfOpenTrial || (breakerOpenUntil == nil && consecutiveFailures >= threshold) {
                    breakerOpenUntil = monotonicSeconds() + Double(options.cooldown) / 1000
                    halfOpenTrial = false
                    return "circuit breaker open after \(consecutiveFailures) consecutive failures"
                }
            } else {
                consecutiveFailures = 0
                if breakerOpenUntil != nil {
                    breakerOpenUntil = nil
                    halfOpenTrial = false
                    return "circuit breaker closed"
                }
            }
            return nil
        }
        if let message { log.log(.info, message) }
    }

    // MARK: - Maintenance

    private func maintain(_ broker: Broker) {
        var lastExtend = 0.0, lastMove = 0.0, lastHeartbeat = 0.0
        while !state.withLock({ finished }) {
            let now = monotonicSeconds()
            if now - lastExtend >= Double(options.lease) / 3000 {
                let held = state.withLock { inHand.values.flatMap { $0 } }
                if held.isEmpty || withRedis(broker, { try source.extend(broker, held) }) != nil { lastExtend = now }
            }
            if now - lastMove >= 0.5 {
                _ = withRedis(broker) { try source.maintain(broker) }
                lastMove = now
            }
            if now - lastHeartbeat >= Double(Broker.heartbeatInterval) / 1000 {
                _ = withRedis(broker) { try broker.heartbeat(id, fields: registration()) }
                lastHeartbeat = now
            }
            usleep(50_000)
        }
    }

    // MARK: - Redis going away

    /// Runs `body`; when Redis is unreachable, reconnects with backoff and
    /// tries again, logging it, until it works or the worker stops. Nil
    /// when it gave up (stopping) or Redis answered with an error.
    private func withRedis<T>(_ broker: Broker, _ body: () throws -> T) -> T? {
        var warned = false
        while true {
            do {
                return try broker.connection.withReconnect(ReconnectPolicy(maximumAttempts: 1)) { _ in try body() }
            } catch let error as RedisClientError where error.isConnectionError {
                if !warned {
                    log.log(.warn, "Redis unreachable; reconnecting", [("error", "\(error)")])
                    warned = true
                }
                if state.withLock({ forced || finished }) { return nil }
                usleep(200_000)
            } catch {
                let explained = (error as? RedisServerError).flatMap(broker.explain) ?? error
                switch explained as? MQError {
                case .wrongKeyType?, .corruptSetting?:
                    // Retrying cannot help, and every message would cycle
                    // through it: stop; the leases held expire and the
                    // reaper returns those messages once the data is fixed.
                    log.log(.error, "stopping: \(explained)")
                    state.withLock {
                        if fatal == nil { fatal = explained as? MQError }
                        requestStop()
                    }
                default:
                    log.log(.error, "\(explained)")
                    usleep(200_000)
                }
                return nil
            }
        }
    }

    private func connectWithRetry() throws -> RedisConnection {
        var delay = 0.1
        while true {
            do {
                return try RedisConnection(configuration: configuration)
            } catch {
                if state.withLock({ stopping }) { throw error }
                log.log(.warn, "cannot connect to Redis; retrying", [("error", "\(error)")])
                usleep(UInt32(delay * 1_000_000))
                delay = min(delay * 2, 5)
            }
        }
    }
}
