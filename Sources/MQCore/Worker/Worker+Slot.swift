import FoundationEssentials
import Glibc
import MQFormat
import MQRedis

/// One slot of the worker: fetch, run the handler, settle, again.
extension Worker {
    func runSlot(_ slot: Int) {
        let handler: Handler = options.pipe
            ? PipeHandler(command: options.command, timeout: Double(options.timeout) / 1000,
                          passEnvironment: options.passEnvironment) { [log] in log.log(.warn, $0) }
            : ExecHandler(command: options.command, timeout: Double(options.timeout) / 1000,
                          permanentExitCodes: options.permanentExitCodes, passEnvironment: options.passEnvironment)
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
            state.withLock {
                reserved -= allowed - deliveries.count
                if deliveries.isEmpty, trial { breaker.trialFoundNothing() }
            }
            guard !deliveries.isEmpty else {
                if options.burst, withRedis(broker, { try source.drained(broker) && state.withLock { inHand.values.allSatisfy(\.isEmpty) } }) == true {
                    let first = state.withLock { () -> Bool in
                        defer { drainedLogged = true; requestStop() }
                        return !drainedLogged
                    }
                    if first { log.log(.info, "queues drained (burst mode): stopping") }
                    break
                }
                _ = withRedis(broker) { try source.waitForWork(broker) }
                continue
            }
            state.withLock { inHand[slot] = deliveries }
            for delivery in deliveries {
                log.log(.debug, "started", [("queue", .text(delivery.source)), ("id", .text(delivery.envelope.id)), ("attempt", .number(delivery.envelope.attempts))])
            }
            let channels = listened()
            if !channels.isEmpty {
                _ = withRedis(broker) {
                    try broker.publish(deliveries.compactMap { delivery in
                        delivery.queue.map { ($0, "started", delivery.envelope.id, ["attempt": .int(delivery.envelope.attempts), "worker": .string(id)]) }
                    }, listened: channels)
                }
            }
            let results = handler.process(deliveries) { state.withLock { forced } }
            settle(broker, deliveries, results, listened: listened())
            state.withLock {
                inHand[slot] = nil
                reserved -= deliveries.count
            }
        }
    }

    /// How many messages the slot may take now, reserved against
    /// --max-jobs: none while the circuit breaker is open, one as its
    /// trial, else a batch; nil to wait.
    private func admit() -> (count: Int, trial: Bool)? {
        state.withLock {
            var count = options.batch
            if let limit = options.maxJobs {
                if jobsDone >= limit {
                    requestStop()
                    return nil
                }
                count = min(count, limit - jobsDone - reserved)
                guard count > 0 else { return nil } // the rest is in other slots' hands
            }
            guard let admission = breaker.admit(now: monotonicSeconds()) else { return nil }
            if admission == .trial { count = 1 }
            reserved += count
            return (count, admission == .trial)
        }
    }

    private func settle(_ broker: Broker, _ deliveries: [Delivery], _ results: [AttemptResult], listened: Set<String>) {
        let now = time.nowMilliseconds()
        var outcomes: [(delivery: Delivery, result: AttemptResult, retryAt: Int64?)] = []
        var events: [(queue: QueueName, event: String, id: String, fields: [String: FieldValue])] = []
        var done = Tally()
        for (delivery, result) in zip(deliveries, results) {
            let envelope = delivery.envelope
            var retryAt: Int64?
            switch result {
            case .succeeded:
                done.succeeded += 1
                guard let queue = delivery.queue else { break }
                events.append((queue, "succeeded", envelope.id,
                               ["attempt": .int(envelope.attempts), "enqueued_at": .time(envelope.enqueuedAt)]))
            case .failed(let error, let permanent):
                let maximum = options.maxAttempts ?? envelope.maxAttempts
                if !permanent && envelope.attempts < maximum {
                    retryAt = now + options.backoff.delay(afterAttempt: envelope.attempts)
                }
                if let queue = delivery.queue {
                    events.append((queue, retryAt == nil ? "dead" : "retried", envelope.id,
                                   ["attempt": .int(envelope.attempts), "error": .string(String(error.prefix(500)))]))
                }
                let fields: [(String, WorkerLog.Value)] = [
                    ("queue", .text(delivery.source)), ("id", .text(envelope.id)), ("attempt", .number(envelope.attempts)), ("max_attempts", .number(maximum)),
                    ("error", .text(String(error.split(separator: "\n", omittingEmptySubsequences: false).first ?? "").prefix(200).description)),
                ]
                if let retryAt {
                    done.retried += 1
                    log.log(.info, "failed, will retry", fields + [("retry_in_seconds", .seconds(Double(retryAt - now) / 1000))])
                } else {
                    done.dead += 1
                    log.log(.warn, permanent ? "failed permanently: dead-lettered" : "failed, attempts used up: dead-lettered", fields)
                }
            case .interrupted:
                break
            }
            outcomes.append((delivery, result, retryAt))
        }
        guard let lost = record(outcomes, broker) else { return }
        if lost > 0 {
            log.log(.warn, "lease lost before the result was recorded: the reaper had taken the messages back, so they run again",
                    [("count", .count(lost))])
        }
        if !listened.isEmpty {
            _ = withRedis(broker) { try broker.publish(events, listened: listened) }
        }
        let settled = results.filter { $0 != .interrupted }
        let message: String? = state.withLock {
            jobsDone += settled.count
            tally.succeeded += done.succeeded
            tally.retried += done.retried
            tally.dead += done.dead
            return breaker.record(settled, now: monotonicSeconds())
        }
        if let message { log.log(.info, message) }
    }

    /// A failure that passes: the link dropped, or the server said to try again.
    static func isPassing(_ error: Error) -> Bool {
        if let error = error as? RedisClientError { return error.isConnectionError }
        if let error = error as? RedisServerError { return error.isTemporary }
        return false
    }

    /// Writes the results, retrying through reconnects and busy replies while the leases
    /// last (past them the reaper owns the messages anyway) and until the
    /// worker is forced out. Any other error gives the messages back
    /// untouched, once, rather than retry a call that fails the same way.
    /// Returns how many leases were lost, or nil when nothing was recorded.
    private func record(_ outcomes: [(delivery: Delivery, result: AttemptResult, retryAt: Int64?)], _ broker: Broker) -> Int? {
        let leaseEnds = monotonicSeconds() + Double(options.lease) / 1000
        var warned = false
        while true {
            do {
                return try broker.connection.withReconnect(ReconnectPolicy(maximumAttempts: 1)) { _ in
                    try source.settle(broker, outcomes)
                }
            } catch let error where Self.isPassing(error) {
                // Unreachable, or busy for a moment (TRYAGAIN while a Cluster
                // slot migrates, LOADING, BUSY): the handlers' work is done, so
                // its results are kept until they are recorded or the leases
                // run out, never given back to run again.
                if !warned {
                    log.log(.warn, "Redis unreachable or busy while recording results; retrying", [("error", "\(error)")])
                    warned = true
                }
                if state.withLock({ forced }) || monotonicSeconds() > leaseEnds {
                    log.log(.warn, "results not recorded before the leases ran out: the reaper returns the messages, which run again",
                            [("count", .count(outcomes.count))])
                    return nil
                }
                usleep(200_000)
            } catch {
                if stopOnBadData(error, broker) { return nil }
                log.log(.error, "could not record results: \(explained(error, broker)); giving the messages back", [("count", .count(outcomes.count))])
                _ = try? source.settle(broker, outcomes.map { ($0.delivery, .interrupted, nil) })
                return nil
            }
        }
    }
}
