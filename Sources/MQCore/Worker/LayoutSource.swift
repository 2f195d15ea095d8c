import MQRedis

/// Queues of declared layouts, consumed from the application's own lists.
/// A fetch LMOVEs members into this worker's processing list (one per
/// tier, mqctl's key), so a killed worker loses nothing: once its
/// registration expires, `maintain` (any worker's) returns what it held
/// to the front of the list it came from. Success removes the member; a
/// failure puts it, with attempts and error written where the layout has
/// them, in the retry set (in the set's score unit) or the dead letters.
struct LayoutSource: WorkSource {
    let queues: [LayoutQueue]
    let worker: String
    /// `work --max-attempts`, else the layout's.
    let maxAttempts: Int64?

    var names: [String] { queues.map(\.name.rawValue) }

    /// The processing list of `tier` (by index) and its name in the set.
    private func processing(_ queue: LayoutQueue, tier index: Int) -> (key: String, name: String) {
        let name = "\(worker):\(index)"
        return (queue.own.processing(worker: name), name)
    }

    func fetch(_ broker: Broker, count: Int, token: String) throws -> [Delivery] {
        for queue in queues {
            var keys: [any RedisArgument] = [queue.own.processingWorkers]
            var arguments: [any RedisArgument] = [queue.layout.pop.rawValue, count]
            for (index, tier) in queue.ready.enumerated() {
                let held = processing(queue, tier: index)
                keys += [tier.key, held.key]
                arguments.append(held.name)
            }
            let reply = try broker.connection.run(LayoutScripts.fetch, keys: keys, arguments: arguments).array()
            guard !reply.isEmpty else { continue }
            var taken: [(tier: Int, member: [UInt8])] = []
            for index in stride(from: 0, to: reply.count - 1, by: 2) {
                taken.append((Int(try reply[index].int()) - 1, try reply[index + 1].bytes()))
            }
            let messages = try broker.read(queue, taken.map {
                Broker.StoredMember(member: $0.member, score: nil, key: processing(queue, tier: $0.tier).key)
            })
            let now = broker.time.nowMilliseconds()
            return zip(taken, messages).map { item, message in
                let tier = queue.ready[item.tier]
                let envelope = Envelope(
                    id: message.id, payload: message.payload, headers: ["layout": queue.layout.name, "tier": tier.name],
                    attempts: (message.attempts ?? 0) + 1, maxAttempts: maxAttempts ?? queue.layout.maxAttempts,
                    enqueuedAt: message.enqueuedAt ?? now, runAt: now, state: .inflight, lastError: message.error)
                return Delivery(queue: nil, source: queue.name.rawValue, envelope: envelope, token: token,
                                held: HeldMember(message: message, processing: processing(queue, tier: item.tier).key, tier: tier.key))
            }
        }
        return []
    }

    func waitForWork(_ broker: Broker) throws {
        // The application pushes without waking anyone, and a blocking pop
        // would take a member outside the script: poll.
        Interruption.sleep(0.2)
    }

    func drained(_ broker: Broker) throws -> Bool {
        try broker.stats(queues).allSatisfy { $0.ready == 0 && $0.overdue == 0 }
    }

    func settle(_ broker: Broker, _ outcomes: [(delivery: Delivery, result: AttemptResult, retryAt: Int64?)]) throws -> Int {
        let now = broker.time.nowMilliseconds()
        var calls: [(keys: [any RedisArgument], arguments: [any RedisArgument])] = []
        for outcome in outcomes {
            guard let held = outcome.delivery.held,
                  let queue = queues.first(where: { $0.name.rawValue == outcome.delivery.source }) else { continue }
            let own = queue.own
            let minute = now / 60_000
            var keys: [any RedisArgument] = [held.processing, held.tier]
            var arguments: [any RedisArgument] = [held.message.member]
            let attempts = outcome.delivery.envelope.attempts
            switch outcome.result {
            case .succeeded:
                arguments += ["ack", "", "left", "0"]
            case .interrupted:
                // Back to the front of its list, as it was.
                arguments += ["back", held.message.member, queue.layout.pop.rawValue, "0"]
            case .failed(let error, _):
                if let retryAt = outcome.retryAt {
                    keys[1] = queue.retry.key
                    arguments += ["retry", held.message.rewritten(layout: queue.layout, attempts: attempts, error: error),
                                  "zset", queue.retry.unit.score(milliseconds: retryAt)]
                } else {
                    let member = held.message.rewritten(layout: queue.layout, attempts: attempts, error: error, failedAt: now)
                    switch queue.dead {
                    case .sortedSet(let set):
                        keys[1] = set.key
                        arguments += ["dead", member, "zset", set.unit.score(milliseconds: now)]
                    case .list(let key):
                        keys[1] = key
                        arguments += ["dead", member, queue.layout.push.rawValue, "0"]
                    }
                }
            }
            keys += [own.counter(.processed), own.counter(.processed, minute: minute), own.counter(.failed),
                     own.counter(.failed, minute: minute), own.counter(.dead), own.counter(.dead, minute: minute)]
            arguments.append(Keyspace.minuteBucketTTL)
            calls.append((keys, arguments))
        }
        guard !calls.isEmpty else { return 0 }
        var lost = 0
        for reply in try broker.connection.runPipelined(LayoutScripts.settle, calls) {
            if try reply.throwingError().int() == 0 { lost += 1 }
        }
        // The caps apply after each death, as the framework applies them.
        let died = Set(outcomes.filter { if case .failed = $0.result { $0.retryAt == nil } else { false } }.map(\.delivery.source))
        for queue in queues where died.contains(queue.name.rawValue) { try broker.trimDead(queue) }
        return lost
    }

    /// The worker's registration is its lease: nothing to renew per member.
    func extend(_ broker: Broker, _ deliveries: [Delivery]) throws {}

    func maintain(_ broker: Broker) throws {
        for queue in queues {
            _ = try broker.promote(queue, limit: Broker.batchSize)
            _ = try broker.reap(queue)
        }
    }
}

extension Broker {
    /// Returns what dead workers held in a layout queue's processing lists
    /// to the front of the lists they came from. One round trip to list the
    /// holders, one script per holder that is gone.
    @discardableResult
    public func reap(_ queue: LayoutQueue) throws -> Int {
        var returned = 0
        for name in try connection.send("SMEMBERS", queue.own.processingWorkers).array().map({ try $0.string() }) {
            guard let colon = name.lastIndex(of: ":"), let index = Int(name[name.index(after: colon)...]),
                  queue.ready.indices.contains(index) else { continue }
            let worker = String(name[..<colon])
            let count = try connection.run(
                LayoutScripts.reap,
                keys: [keys.worker(worker), queue.own.processing(worker: name), queue.ready[index].key, queue.own.processingWorkers],
                arguments: [queue.layout.pop.rawValue, name]).int()
            if count > 0 { returned += Int(count) }
        }
        return returned
    }
}
