import MQRedis

/// The read side of dead letters and waiting sets: listing, envelopes,
/// counts. Nothing here writes (the moves are in Broker+DeadLetters).
extension Broker {
    /// Streams dead letters newest first, starting after `cursor`, that
    /// match `filter`, handing each to `body` until `limit` have been
    /// handed out. Envelopes are read a page at a time (pipelined HGETALL)
    /// when the filter or the caller needs them. Pages are read by score
    /// and id, so items removed meanwhile (by a replay of the items handed
    /// out) do not shift the listing. Constant memory.
    ///
    /// Returns the cursor of the last item handed out when more may follow,
    /// nil at the end.
    @discardableResult
    public func deadLetters(
        _ queue: QueueName, filter: DeadLetterFilter = DeadLetterFilter(), after cursor: DeadLetterCursor? = nil,
        limit: Int? = nil, withEnvelopes: Bool = true, pageSize: Int = Broker.batchSize,
        body: (DeadLetter) throws -> Void
    ) throws -> DeadLetterCursor? {
        let k = keys.queue(queue)
        let range = filter.scoreRange(now: time.nowMilliseconds())
        let minimum = range.min.map { String($0) } ?? "-inf"
        var position = cursor
        var handedOut = 0
        var fetch = pageSize
        while limit.map({ handedOut < $0 }) ?? true {
            var maximum = range.max.map { String($0) } ?? "+inf"
            if let position {
                maximum = String(range.max.map { min($0, position.score) } ?? position.score)
            }
            let items = try connection.send("ZRANGE", k.dead, maximum, minimum, "BYSCORE", "REV", "LIMIT", 0, fetch, "WITHSCORES").array()
            var page: [(id: String, score: Int64)] = []
            for index in stride(from: 0, to: items.count - 1, by: 2) {
                let id = try items[index].string()
                let score = Int64(Double(try items[index + 1].string()) ?? 0)
                // Equal scores come in descending id order: skip those at
                // or before the cursor.
                if let position, score == position.score, id >= position.id { continue }
                page.append((id, score))
            }
            let pageWasFull = items.count / 2 == fetch
            if page.isEmpty {
                guard pageWasFull else { return nil }
                fetch *= 2 // a run of equal scores filled the page: look further
                continue
            }
            fetch = pageSize
            let envelopes = try (withEnvelopes || filter.needsEnvelope) ? readEnvelopes(queue, ids: page.map(\.id)) : nil
            for (index, item) in page.enumerated() {
                position = DeadLetterCursor(score: item.score, id: item.id)
                let letter = DeadLetter(id: item.id, failedAt: item.score, envelope: envelopes?[index].envelope, problem: envelopes?[index].problem)
                guard filter.matches(letter.envelope) else { continue }
                try body(letter)
                handedOut += 1
                if let limit, handedOut >= limit { return pageWasFull || index < page.count - 1 ? position : nil }
            }
            if !pageWasFull { return nil }
        }
        return position
    }

    /// Envelopes of `ids`, each or the reason it could not be read. One round trip.
    public func readEnvelopes(_ queue: QueueName, ids: [String]) throws -> [(envelope: Envelope?, problem: String?)] {
        let k = keys.queue(queue)
        let replies = try connection.pipeline(ids.map { RedisCommand("HGETALL", k.message($0)) })
        return zip(ids, replies).map { id, reply in
            do {
                let fields = try Self.bytePairs(reply, key: k.message(id))
                guard !fields.isEmpty else { return (nil, "envelope missing") }
                return (try Envelope(id: id, key: k.message(id), fields: fields), nil)
            } catch {
                return (nil, "\((error as? RedisServerError).flatMap(explain) ?? error)")
            }
        }
    }

    /// Ids of this queue's dead letters journaled on their way to `target`
    /// by a replay that was cut short, at most a batch; finish them with
    /// `replay(_:ids:to:keepAttempts:)`. One round trip.
    public func pendingTransfers(_ queue: QueueName, to target: QueueName) throws -> [String] {
        let items = try connection.send("HGETALL", keys.queue(queue).transfers).array()
        var ids: [String] = []
        for index in stride(from: 0, to: items.count - 1, by: 2) where ids.count < Self.batchSize {
            if try items[index + 1].string().hasPrefix(target.rawValue + " ") { ids.append(try items[index].string()) }
        }
        return ids
    }

    /// How many dead letters the queue holds. One round trip.
    public func deadLetterCount(_ queue: QueueName) throws -> Int {
        Int(try connection.send("ZCARD", keys.queue(queue).dead).int())
    }

    /// Per id whether it is a dead letter. One round trip.
    public func areDead(_ queue: QueueName, ids: [String]) throws -> [Bool] {
        let dead = keys.queue(queue).dead
        return try connection.pipeline(ids.map { RedisCommand("ZSCORE", dead, $0) }).map { !(try $0.throwingError().isNull) }
    }

    /// Waiting messages in a sorted set (retry, delayed, inflight) by
    /// score, soonest first, a page of (id, score ms) at a time; constant
    /// memory. At most `limit` of them when given.
    public func scheduled(_ queue: QueueName, in source: KillSource, pageSize: Int = 1000, limit: Int? = nil,
                          body: ([(id: String, score: Int64)]) throws -> Void) throws {
        var offset = 0
        while true {
            let count = min(pageSize, (limit ?? .max) - offset)
            guard count > 0 else { return }
            let page = try scheduledPage(queue, in: source, offset: offset, count: count)
            if !page.isEmpty { try body(page) }
            if page.count < count { return }
            offset += count
        }
    }

    /// One page of a waiting set by score, soonest first. One round trip.
    public func scheduledPage(_ queue: QueueName, in source: KillSource, offset: Int = 0, count: Int) throws -> [(id: String, score: Int64)] {
        let items = try connection.send(
            "ZRANGE", sourceKey(queue, source), "-inf", "+inf", "BYSCORE", "LIMIT", offset, count, "WITHSCORES").array()
        return try stride(from: 0, to: items.count - 1, by: 2).map {
            (try items[$0].string(), Int64(Double(try items[$0 + 1].string()) ?? 0))
        }
    }
}
