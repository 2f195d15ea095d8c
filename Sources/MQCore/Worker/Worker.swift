import Dispatch
import FoundationEssentials
import Glibc
import MQRedis

/// The consumer worker: `concurrency` slots, each a thread with its own
/// connection that fetches, runs the handler and settles the result
/// (Worker+Slot.swift), and a maintenance thread that extends leases,
/// promotes due messages, reaps expired leases and sends heartbeats.
/// Blocking I/O runs on these threads of its own, never on the Swift
/// concurrency pool.
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
    let source: WorkSource
    let started = Date()
    /// The service manager, when run by one with `Type=notify`.
    let notify: SystemdNotify?

    /// Guards everything below.
    let state = Lock()
    var stopping = false
    /// When stopping began, for the grace period.
    var stoppingSince: Date?
    var forced = false
    var finished = false
    /// Bad data that will not mend itself (a key of the wrong type, a
    /// corrupt setting): the worker stops and `run` throws it.
    var fatal: MQError?
    var inHand: [Int: [Delivery]] = [:]
    /// Attempts settled (acked, failed, dead), for --max-jobs.
    var jobsDone = 0
    /// Messages fetched or being fetched and not yet settled: with
    /// `jobsDone`, what --max-jobs counts, so slots never overshoot it.
    var reserved = 0
    var breaker: CircuitBreaker
    var drainedLogged = false
    var tally = Tally()
    /// Threads waiting in `withRedis` for Redis to come back, for STATUS=.
    var waitingForRedis = 0

    public init(configuration: RedisConfiguration, prefix: String, options: WorkerOptions, log: WorkerLog,
                time: TimeSource = SystemTime(), notify: SystemdNotify? = nil) {
        self.notify = notify
        self.configuration = configuration
        self.prefix = prefix
        self.options = options
        self.log = log
        self.time = time
        breaker = CircuitBreaker(threshold: options.circuitBreaker, cooldown: Double(options.cooldown) / 1000)
        let host = ProcessInfo.processInfo.hostName
        let id = "\(host)-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        self.id = id
        if let stream = options.stream {
            source = StreamSource(stream: stream.key, group: stream.group, consumer: stream.consumer ?? id,
                                  deadStream: stream.deadStream ?? "\(stream.key):dead", lease: options.lease,
                                  maxAttempts: options.maxAttempts ?? QueueConfig().maxAttempts)
        } else if !options.layoutQueues.isEmpty {
            source = LayoutSource(queues: options.layoutQueues, worker: id, maxAttempts: options.maxAttempts)
        } else {
            let backoff = options.backoff
            source = QueueSource(queues: options.queues, lease: options.lease, maxAttempts: options.maxAttempts,
                                 retryDelay: { backoff.delay(afterAttempt: 1) })
        }
    }

    /// Runs until stopped by SIGTERM/SIGINT (exit 0 after a graceful stop),
    /// drained in burst mode, or --max-jobs reached. Throws when Redis
    /// cannot be reached at start, or bad data stopped it.
    public func run() throws {
        let signals = SignalWatcher { [self] caught in
            let second = state.withLock { () -> Bool in
                defer { requestStop() }
                if stopping { forced = true }
                return stopping
            }
            log.log(.info, second ? "second signal: stopping now" : "signal \(caught): stopping; running handlers may finish",
                    second ? [] : [("grace", "\(options.grace / 1000)s")])
        }
        defer { signals.stop() }
        signal(SIGPIPE, SIG_IGN)

        let maintenance = try Broker(connection: RedisConnection(configuration: configuration), prefix: prefix, time: time)
        // Bad data will not mend itself: refuse to start on it.
        if options.stream == nil {
            try maintenance.checkKeyTypes(options.queues)
            try maintenance.checkKeyTypes(options.layoutQueues)
            for queue in options.layoutQueues {
                try queue.layout.check("work")
                if case .id(_, .roleHash) = queue.layout.member {
                    throw MQError.layoutRefused("layout '\(queue.layout.name)' keeps each role's messages in a hash of its own; mqctl work cannot hold them")
                }
            }
            for queue in options.queues { _ = try maintenance.config(queue) }
        }
        heartbeat(maintenance)
        log.log(.info, "worker started", [
            ("id", .text(id)), ("queues", .text(source.names.joined(separator: ","))),
            ("concurrency", .count(options.concurrency)), ("mode", options.pipe ? "pipe" : "exec"),
        ])

        let slots = DispatchGroup()
        for slot in 0..<options.concurrency {
            slots.enter()
            startThread(stackSize: 1 << 20) { [self] in
                defer { slots.leave() }
                runSlot(slot)
            }
        }
        let maintained = DispatchSemaphore(value: 0)
        startThread { [self] in
            maintain(maintenance)
            maintained.signal()
        }
        // Connected, checked and registered: systemd may start what waits for us.
        notify?.ready(status: runningStatus())

        // Wait for the slots; once stopping, at most the grace period, then
        // force the handlers out.
        var stopAnnounced = false
        while slots.wait(timeout: .now() + 0.1) == .timedOut {
            notifyState(&stopAnnounced)
            let graceOver = state.withLock { () -> Bool in
                guard let since = stoppingSince, !forced, Date().timeIntervalSince(since) * 1000 >= Double(options.grace) else { return false }
                forced = true
                return true
            }
            if graceOver { log.log(.warn, "grace period over: killing running handlers; their messages go back to ready") }
        }
        notifyState(&stopAnnounced)
        state.withLock { finished = true }
        // The maintenance connection is not shared: wait for its thread
        // before using it here.
        maintained.wait()
        try? maintenance.connection.withReconnect(ReconnectPolicy(maximumAttempts: 3)) { _ in try maintenance.unregister(id) }
        log.log(.info, "worker stopped", [("id", .text(id)), ("handled", .count(state.withLock { jobsDone }))])
        if let fatal = state.withLock({ fatal }) { throw fatal }
    }

    /// Stops fetching; call with `state` held.
    func requestStop() {
        if !stopping {
            stopping = true
            stoppingSince = Date()
        }
    }

    // MARK: - systemd

    /// What `systemctl status` shows while the worker runs.
    private func runningStatus() -> String {
        let (held, handled, breakerState, unreachable) = state.withLock {
            (inHand.values.map(\.count).reduce(0, +), jobsDone, breaker.state, waitingForRedis > 0)
        }
        var text = "consuming \(source.names.joined(separator: ",")): \(held) in flight, \(handled) handled"
        if breakerState != "closed" { text += "; circuit breaker \(breakerState), fetching paused" }
        if unreachable { text += "; Redis unreachable or busy, trying again" }
        return text
    }

    /// Tells the service manager what the worker is doing: `STOPPING=1`
    /// (asking for the grace period and some cleanup before the stop times
    /// out) once stopping began, for whatever reason, then each change in
    /// how many handlers are still running. Called from `run`'s wait loop.
    private func notifyState(_ announced: inout Bool) {
        guard let notify else { return }
        let now = state.withLock { () -> (stopping: Bool, forced: Bool, held: Int) in
            (stopping, forced, inHand.values.map(\.count).reduce(0, +))
        }
        guard now.stopping else { return notify.status(runningStatus()) }
        let text = now.forced ? "stopping now: \(now.held) running handlers killed" : "draining, \(now.held) in flight"
        if !announced {
            announced = true
            notify.stopping(status: text, extendSeconds: Self.cleanupSeconds + (now.forced ? 0 : Double(options.grace) / 1000))
        } else {
            notify.status(text, now: true)
        }
    }

    /// Beyond the grace period, what a stop may take: killed handlers
    /// reaped, messages given back, the registration removed.
    static let cleanupSeconds = 15.0

    private func registration() -> [(String, String)] {
        let (held, handled, breakerState) = state.withLock { (inHand.values.map(\.count).reduce(0, +), jobsDone, breaker.state) }
        return [
            ("host", ProcessInfo.processInfo.hostName), ("pid", String(getpid())),
            ("queues", source.names.joined(separator: ",")), ("concurrency", String(options.concurrency)),
            ("mode", options.pipe ? "pipe" : "exec"), ("started", String(Int64(started.timeIntervalSince1970 * 1000))),
            ("in_hand", String(held)), ("breaker", breakerState), ("handled", String(handled)),
        ]
    }

    // MARK: - Maintenance

    private func maintain(_ broker: Broker) {
        var lastExtend = 0.0, lastMove = 0.0, lastHeartbeat = 0.0, lastTally = monotonicSeconds()
        while !state.withLock({ finished }) {
            // Only while this loop goes round: a Redis that hangs keeps it
            // in `withRedis`, the pings stop and systemd restarts the worker.
            notify?.watchdogIfDue()
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
                heartbeat(broker)
                lastHeartbeat = now
            }
            if now - lastTally >= Self.tallyInterval {
                let minute = state.withLock { () -> Tally in
                    defer { tally = Tally() }
                    return tally
                }
                log.log(.info, "throughput", minute.fields(seconds: now - lastTally))
                lastTally = now
            }
            usleep(50_000)
        }
    }

    /// Seconds between throughput lines.
    static let tallyInterval = 60.0

    /// Renews the registration. A full Redis refusing it (OOM) is logged
    /// once and the work goes on: acks and dead letters free memory, and
    /// the scripts that move messages are written to run on a full Redis.
    private func heartbeat(_ broker: Broker) {
        do {
            try broker.connection.withReconnect(ReconnectPolicy(maximumAttempts: 1)) { _ in
                try broker.heartbeat(id, fields: registration())
            }
            heartbeatTrouble = nil
        } catch let error as RedisServerError where error.message.hasPrefix("OOM") {
            if heartbeatTrouble != "full" {
                log.log(.warn, "Redis is full (maxmemory): heartbeats are refused, so `mqctl workers` may not list this worker; handling goes on",
                        [("error", .text(error.message))])
                heartbeatTrouble = "full"
            }
        } catch let error as RedisClientError where error.isConnectionError {
            // The slots say so too; the next heartbeat tries again.
            if heartbeatTrouble != "unreachable" {
                log.log(.warn, "Redis unreachable; heartbeats wait", [("error", "\(error)")])
                heartbeatTrouble = "unreachable"
            }
        } catch {
            if !stopOnBadData(error, broker) { log.log(.error, "heartbeat: \(explained(error, broker))") }
        }
    }

    /// What went wrong with the last heartbeat, so it is logged once.
    /// Only the maintenance thread (and `run` before it starts) touches it.
    private var heartbeatTrouble: String?

    // MARK: - Redis going away

    /// Runs `body`; when Redis is unreachable, or busy for a moment
    /// (TRYAGAIN, LOADING, BUSY), reconnects with backoff and tries again,
    /// logging it, until it works or the worker stops. Nil when it gave up
    /// (stopping) or Redis answered with an error.
    func withRedis<T>(_ broker: Broker, _ body: () throws -> T) -> T? {
        var warned = false
        defer { if warned { state.withLock { waitingForRedis -= 1 } } }
        while true {
            do {
                return try broker.connection.withReconnect(ReconnectPolicy(maximumAttempts: 1)) { _ in try body() }
            } catch let error where Self.isPassing(error) {
                if !warned {
                    log.log(.warn, "Redis unreachable or busy; trying again", [("error", "\(error)")])
                    warned = true
                    state.withLock { waitingForRedis += 1 }
                }
                if state.withLock({ forced || finished }) { return nil }
                usleep(200_000)
            } catch {
                if !stopOnBadData(error, broker) {
                    log.log(.error, "\(explained(error, broker))")
                    usleep(200_000)
                }
                return nil
            }
        }
    }

    /// An error as `Broker.explain` names it.
    func explained(_ error: Error, _ broker: Broker) -> Error {
        (error as? RedisServerError).flatMap(broker.explain) ?? error
    }

    /// Stops the worker when `error` is bad data that retrying cannot
    /// mend (a key of the wrong type, a corrupt setting): every message
    /// would cycle through it. The leases held expire and the reaper
    /// returns those messages once the data is fixed. True when it stopped.
    func stopOnBadData(_ error: Error, _ broker: Broker) -> Bool {
        let explained = explained(error, broker)
        switch explained as? MQError {
        case .wrongKeyType?, .corruptSetting?:
            log.log(.error, "stopping: \(explained)")
            state.withLock {
                if fatal == nil { fatal = explained as? MQError }
                requestStop()
            }
            return true
        default:
            return false
        }
    }

    func connectWithRetry() throws -> RedisConnection {
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

/// What the worker did since the last throughput line.
struct Tally {
    var succeeded = 0, retried = 0, dead = 0

    func fields(seconds: Double) -> [(String, WorkerLog.Value)] {
        let total = succeeded + retried + dead
        return [("handled", .count(total)), ("succeeded", .count(succeeded)), ("retried", .count(retried)),
                ("dead", .count(dead)), ("per_second", .text(String(printf: "%.1f", Double(total) / max(seconds, 0.001))))]
    }
}
