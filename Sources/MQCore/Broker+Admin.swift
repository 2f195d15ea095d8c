import MQRedis

extension Broker {
    /// Registers a queue and writes its settings. Creating a queue that
    /// exists only applies `change`, which may also mend a corrupt setting
    /// it replaces. Two round trips.
    @discardableResult
    public func createQueue(_ queue: QueueName, _ change: QueueConfigChange = QueueConfigChange()) throws -> QueueConfig {
        let key = keys.queue(queue).config
        let current = try Self.stringPairs(connection.send("HGETALL", key), key: key).filter { !change.changes($0.key) }
        let config = try change.applied(to: QueueConfig(fields: current, key: key))
        _ = try connection.pipeline([
            RedisCommand("SADD", keys.queues, queue.rawValue),
            RedisCommand(["HSET", key] + config.fields.flatMap { [$0.0, $0.1] }),
        ]).map { try $0.throwingError() }
        return config
    }

    /// Changes settings of a known queue.
    public func configure(_ queue: QueueName, _ change: QueueConfigChange) throws -> QueueConfig {
        try requireQueue(queue)
        return try createQueue(queue, change)
    }

    /// Pauses or resumes fetching; enqueueing goes on while paused.
    public func setPaused(_ queue: QueueName, _ paused: Bool) throws {
        try requireQueue(queue)
        try connection.send("HSET", keys.queue(queue).config, QueueConfig.Field.paused.rawValue, paused ? "1" : "0")
    }

    /// Checks that a queue may be deleted: it exists, and holds no
    /// messages unless `force`. Returns how many it holds.
    public func checkDeletable(_ queue: QueueName, force: Bool) throws -> Int64 {
        try requireQueue(queue)
        let held = try messageCount(queue)
        if held > 0 && !force {
            throw MQError.queueNotEmpty(queue: queue.rawValue, messages: held)
        }
        return held
    }

    /// Deletes a queue with every key it owns, after `checkDeletable`.
    /// Keys are found with SCAN and removed with UNLINK a batch at a time;
    /// returns how many keys went.
    public func deleteQueue(_ queue: QueueName, force: Bool) throws -> Int {
        _ = try checkDeletable(queue, force: force)
        return try removeQueue(queue)
    }

    /// Deletes the queue's keys without checking; see `deleteQueue`.
    public func removeQueue(_ queue: QueueName) throws -> Int {
        var deleted = 0
        let scanner = connection.scan(match: keys.queue(queue).scanPattern, count: Self.batchSize)
        while let batch = try scanner.nextBatch() {
            guard !batch.isEmpty else { continue }
            deleted += Int(try connection.send(RedisCommand(["UNLINK"] + batch)).int())
        }
        try connection.send("SREM", keys.queues, queue.rawValue)
        return deleted
    }

    /// Messages in any state. One round trip.
    public func messageCount(_ queue: QueueName) throws -> Int64 {
        guard let stats = try stats([queue]).first else { return 0 }
        return stats.ready + stats.delayed + stats.retry + stats.inflight + stats.dead
    }

    /// Throws `queueNotFound` unless the queue is registered.
    public func requireQueue(_ queue: QueueName) throws {
        guard try connection.send("SISMEMBER", keys.queues, queue.rawValue).int() == 1 else {
            throw MQError.queueNotFound(queue.rawValue)
        }
    }
}
