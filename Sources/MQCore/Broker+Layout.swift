import FoundationEssentials
import Glibc
import MQFormat
import MQRedis

/// Which part of a layout queue a listing or a move is about.
public enum LayoutRole: Equatable, Sendable {
    /// One ready tier, or every tier in fetch order when nil.
    case ready(tier: String?)
    case delayed, retry, dead

    public var name: String {
        switch self {
        case .ready: "ready"
        case .delayed: "delayed"
        case .retry: "retry"
        case .dead: "dead"
        }
    }
}

extension Broker {
    /// The queue `name` of `layout`.
    public func layoutQueue(_ layout: Layout, _ name: QueueName) -> LayoutQueue {
        LayoutQueue(layout: layout, name: name, keys: keys)
    }

    /// The names of a layout's queues: its fixed list, the members of its
    /// set, or what a bounded SCAN of its pattern finds.
    public func queueNames(of layout: Layout) throws -> [QueueName] {
        switch layout.queues {
        case .fixed(let names):
            return names
        case .set(let key, let prefix):
            // Another program's key of that name is not this layout's set.
            guard try connection.send("TYPE", key).string() == "set" else { return [] }
            return try connection.send("SMEMBERS", key).array().compactMap {
                let member = try $0.string()
                guard member.hasPrefix(prefix) else { return nil }
                return try? QueueName(String(member.dropFirst(prefix.count)))
            }.sorted()
        case .pattern(let template):
            guard let range = template.firstRange(of: "{queue}") else { return [] }
            let head = String(template[..<range.lowerBound]), tail = String(template[range.upperBound...])
            var names = Set<QueueName>()
            var cursor = "0"
            repeat {
                let reply = try connection.send("SCAN", cursor, "MATCH", Keyspace.escapeGlob(head) + "*" + Keyspace.escapeGlob(tail), "COUNT", 1000).array()
                cursor = try reply[0].string()
                for key in try reply[1].array().map({ try $0.string() }) where key.count >= head.count + tail.count {
                    let name = key.dropFirst(head.count).dropLast(tail.count)
                    // A role's key found by the pattern names its queue (Dramatiq's Q.XQ.msgs is Q's).
                    let suffix = layout.queueSuffixes.first { name.hasSuffix($0) } ?? ""
                    if let name = try? QueueName(String(name.dropLast(suffix.count))) { names.insert(name) }
                }
            } while cursor != "0" && names.count < 10_000
            return names.sorted()
        }
    }

    /// Stats of layout queues in two round trips whatever their number:
    /// one pipeline of O(1) reads per queue (LLEN, ZCARD, ZCOUNT, the head
    /// of each ready list at its pop end, mqctl's counters, the processing
    /// lists in use), then LLEN of those processing lists (and for id
    /// layouts the head messages).
    public func stats(_ queues: [LayoutQueue]) throws -> [QueueStats] {
        guard !queues.isEmpty else { return [] }
        let now = time.nowMilliseconds()
        let minute = now / 60_000 - 1
        let headIndex = { (queue: LayoutQueue) in queue.layout.pop == .left ? 0 : -1 }
        var commands: [RedisCommand] = []
        for queue in queues {
            commands += queue.ready.map { RedisCommand("LLEN", $0.key) }
            commands += queue.ready.map { RedisCommand("LINDEX", $0.key, headIndex(queue)) }
            if let prioritized = bullmqPrioritized(queue) { commands.append(RedisCommand("ZCARD", prioritized)) }
            for set in [queue.delayed, queue.retry] {
                guard let set else { continue }
                commands += [RedisCommand("ZCARD", set.key), RedisCommand("ZCOUNT", set.key, "-inf", set.unit.score(milliseconds: now)),
                             RedisCommand("ZRANGE", set.key, 0, 0, "WITHSCORES")]
            }
            switch queue.dead {
            // Past its expiry score a failed job is gone to the framework (RQ cleans it up on count).
            case .sortedSet(let role) where queue.layout.deadScoreIsExpiry:
                commands.append(RedisCommand("ZCOUNT", role.key, "(" + role.unit.score(milliseconds: now), "+inf"))
            case .sortedSet(let role): commands.append(RedisCommand("ZCARD", role.key))
            case .list(let key): commands.append(RedisCommand("LLEN", key))
            }
            let k = queue.own
            commands += [
                RedisCommand("MGET", k.counter(.enqueued), k.counter(.processed), k.counter(.failed),
                             k.counter(.processed, minute: minute), k.counter(.failed, minute: minute),
                             k.counter(.rejected), k.counter(.rejected, minute: minute)),
                RedisCommand("SMEMBERS", k.processingWorkers),
            ]
        }
        var replies = try connection.pipeline(commands).makeIterator()
        var stats: [QueueStats] = []
        var processing: [(queue: Int, key: String)] = []
        var heads: [(queue: Int, member: StoredMember)] = []
        for (index, queue) in queues.enumerated() {
            func next(_ key: String) throws -> RedisReply {
                do { return try replies.next()!.throwingError() } catch let error as RedisServerError where error.kind == .wrongType {
                    let actual = (try? connection.send("TYPE", key).string()).map(Self.typeName) ?? "value of another type"
                    throw MQError.wrongKeyType(key: key, expected: "list or sorted set, as layout '\(queue.layout.name)' declares", actual: actual)
                }
            }
            var tiers: [TierDepth] = []
            for tier in queue.ready { tiers.append(TierDepth(name: tier.name, count: try next(tier.key).int())) }
            var oldest: Int64?
            for tier in queue.ready {
                guard let head = try next(tier.key).optionalBytes() else { continue }
                if case .id = queue.layout.member {
                    heads.append((index, StoredMember(member: head, score: nil, key: tier.key)))
                } else if let at = LayoutMessage(member: head, layout: queue.layout).enqueuedAt {
                    oldest = min(oldest ?? at, at)
                }
            }
            // BullMQ's ready jobs with a priority, as getJobCounts counts them apart.
            if let prioritized = bullmqPrioritized(queue) { tiers.append(TierDepth(name: "prioritized", count: try next(prioritized).int())) }
            var depths: [Int64] = [], overdue: Int64 = 0, nextDue: Int64?
            for set in [queue.delayed, queue.retry] {
                guard let set else { depths.append(0); continue }
                depths.append(try next(set.key).int())
                overdue += try next(set.key).int()
                if let score = try next(set.key).array().last.flatMap({ try Double($0.string()) }) {
                    let due = set.unit.milliseconds(score: score)
                    nextDue = min(nextDue ?? due, due)
                }
            }
            let dead = try next(queue.dead.key).int()
            let counters = try next(queue.own.base).array().map { try $0.optionalString().flatMap { Int64($0) } ?? 0 }
            for name in try next(queue.own.processingWorkers).array().map({ try $0.string() }) {
                processing.append((index, queue.own.processing(worker: name)))
            }
            var config = QueueConfig()
            config.maxLength = queue.layout.capacity
            config.maxAttempts = queue.layout.maxAttempts
            var entry = QueueStats(
                queue: queue.name, readyByPriority: [:], delayed: depths[0], retry: depths[1], inflight: 0, dead: dead,
                latencySeconds: oldest.map { max(0, Double(now - $0) / 1000) } ?? 0, overdue: overdue,
                nextDueSeconds: nextDue.map { max(0, Double($0 - now) / 1000) }, enqueued: counters[0], deadTrimmed: 0,
                processed: counters[1], failed: counters[2], processedPerMinute: counters[3], failedPerMinute: counters[4],
                config: config)
            entry.rejected = counters[5]
            entry.rejectedPerMinute = counters[6]
            entry.layout = queue.layout.name
            entry.tiers = tiers
            stats.append(entry)
        }
        try countShared(queues, into: &stats, now: now)
        // Processing lists and the heads' messages (for layouts that keep them
        // elsewhere), in one more round trip.
        let headReads = heads.map { readCommands(queues[$0.queue], [$0.member]) }
        let extra = processing.map { RedisCommand("LLEN", $0.key) } + headReads.flatMap { $0 }
        let replies2 = extra.isEmpty ? [] : try connection.pipeline(extra)
        for (item, reply) in zip(processing, replies2) {
            stats[item.queue].inflight += (try? reply.throwingError().int()) ?? 0
        }
        var next = processing.count
        for (head, commands) in zip(heads, headReads) {
            let queue = queues[head.queue]
            let replies = Array(replies2[next..<(next + commands.count)])
            next += commands.count
            guard let message = messages(queue, [head.member], replies: replies).first else { continue }
            if let at = message.enqueuedAt {
                stats[head.queue].latencySeconds = max(stats[head.queue].latencySeconds, Double(now - at) / 1000)
            }
        }
        return stats
    }

    private func bullmqPrioritized(_ queue: LayoutQueue) -> String? {
        queue.layout.writeProtocol == .bullmq ? queue.siblingKey("prioritized") : nil
    }

    /// For roles whose set holds every queue's members, counts each
    /// queue's own by reading the set once per layout, 1,000 members a
    /// round trip: the set's size alone would count other queues' jobs.
    private func countShared(_ queues: [LayoutQueue], into stats: inout [QueueStats], now: Int64) throws {
        var counted: [String: [String: (count: Int64, due: Int64, next: Int64?)]] = [:]
        for (index, queue) in queues.enumerated() {
            for role in [LayoutRole.delayed, .retry, .dead] where queue.isShared(role) {
                let (key, kind) = try source(queue, role)
                if counted[key] == nil {
                    var tally: [String: (count: Int64, due: Int64, next: Int64?)] = [:]
                    var offset = 0
                    while true {
                        let page = try layoutMessages(queue, role, offset: offset, count: 1000)
                        for message in page {
                            var entry = tally[message.queue ?? "", default: (0, 0, nil)]
                            entry.count += 1
                            if let score = message.score, kind == "zset" {
                                if score <= now { entry.due += 1 } else { entry.next = min(entry.next ?? score, score) }
                            }
                            tally[message.queue ?? ""] = entry
                        }
                        offset += page.count
                        if page.count < 1000 { break }
                    }
                    counted[key] = tally
                }
                let mine = counted[key]![queue.name.rawValue] ?? (0, 0, nil)
                switch role {
                case .delayed, .retry:
                    if role == .delayed { stats[index].delayed = mine.count } else { stats[index].retry = mine.count }
                case .dead, .ready:
                    stats[index].dead = mine.count
                }
            }
            // Overdue and next due from the shared sets replace those of the whole set.
            let shared = [LayoutRole.delayed, .retry].filter { queue.isShared($0) }
            guard !shared.isEmpty else { continue }
            var overdue: Int64 = 0, next: Int64?
            for role in [LayoutRole.delayed, .retry] {
                guard let (key, _) = try? source(queue, role) else { continue }
                if queue.isShared(role) {
                    let mine = counted[key]?[queue.name.rawValue] ?? (0, 0, nil)
                    overdue += mine.due
                    if let due = mine.next { next = min(next ?? due, due) }
                } else if let set = role == .delayed ? queue.delayed : queue.retry {
                    overdue += try connection.send("ZCOUNT", set.key, "-inf", set.unit.score(milliseconds: now)).int()
                }
            }
            stats[index].overdue = overdue
            stats[index].nextDueSeconds = next.map { max(0, Double($0 - now) / 1000) } ?? (overdue > 0 ? 0 : nil)
        }
    }

    /// One page of a role's members, in the order they leave it (ready:
    /// pop end first; sorted sets: lowest score first), read as messages.
    /// Two round trips for id layouts, one for the others.
    /// `newestFirst` reads a dead or scheduled role from its other end (a
    /// listing of dead letters starts with the latest).
    public func layoutMessages(_ queue: LayoutQueue, _ role: LayoutRole, offset: Int, count: Int, newestFirst: Bool = false) throws -> [LayoutMessage] {
        try queue.layout.check(role.name)
        var members: [StoredMember] = []
        func listPage(_ key: String, fromLeft: Bool, offset: Int, count: Int) throws {
            let start = fromLeft ? offset : -(offset + count), stop = fromLeft ? offset + count - 1 : -(offset + 1)
            var page = try connection.send("LRANGE", key, start, stop).array().map { try $0.bytes() }
            if !fromLeft { page.reverse() }
            members += page.map { StoredMember(member: $0, score: nil, key: key) }
        }
        func setPage(_ set: Layout.ScoredRole) throws {
            let reply = try connection.send(newestFirst ? "ZREVRANGE" : "ZRANGE", set.key, offset, offset + count - 1, "WITHSCORES").array()
            for index in stride(from: 0, to: reply.count - 1, by: 2) {
                let score = try Double(reply[index + 1].string()) ?? 0
                members.append(StoredMember(member: try reply[index].bytes(), score: set.unit.milliseconds(score: score), key: set.key))
            }
        }
        switch role {
        case .ready(let tier):
            // One tier after the other, in fetch order.
            var skipped = offset
            for tier in try tier.map({ [try queue.tier($0)] }) ?? queue.ready where members.count < count {
                let length = Int(try connection.send("LLEN", tier.key).int())
                if skipped >= length { skipped -= length; continue }
                try listPage(tier.key, fromLeft: queue.layout.pop == .left, offset: skipped, count: count - members.count)
                skipped = 0
            }
        case .delayed:
            guard let delayed = queue.delayed else { throw MQError.roleMissing(layout: queue.layout.name, role: "delayed") }
            try setPage(delayed)
        case .retry:
            try setPage(queue.retry)
        case .dead:
            switch queue.dead {
            case .sortedSet(let set): try setPage(set)
            case .list(let key): try listPage(key, fromLeft: (queue.layout.pop == .left) != newestFirst, offset: offset, count: count)
            }
        }
        return try read(queue, members)
    }

    /// A member with the key it was read from.
    struct StoredMember {
        var member: [UInt8]
        var score: Int64?
        var key: String
    }

    /// The members as messages; id members get their stored message read,
    /// in one round trip.
    func read(_ queue: LayoutQueue, _ members: [StoredMember]) throws -> [LayoutMessage] {
        let commands = readCommands(queue, members)
        return messages(queue, members, replies: commands.isEmpty ? [] : try connection.pipeline(commands))
    }

    /// What `read` sends: for id members, the reads of their messages, then
    /// of their errors where the layout keeps those apart.
    func readCommands(_ queue: LayoutQueue, _ members: [StoredMember]) -> [RedisCommand] {
        guard case .id(_, let store) = queue.layout.member else { return [] }
        let ids = members.map { String(decoding: $0.member, as: UTF8.self) }
        let reads = zip(members, ids).map { member, id -> RedisCommand in
            switch store {
            case .hash: RedisCommand("HGETALL", queue.messageKey(id: id)!)
            case .jsonString: RedisCommand("GET", queue.messageKey(id: id)!)
            case .roleHash(let suffix): RedisCommand("HGET", member.key + suffix, id)
            }
        }
        let errors = queue.layout.errorSource.map { source in
            ids.map { RedisCommand("XREVRANGE", queue.expand(source.key).replacingLiteral("{id}", with: $0), "+", "-", "COUNT", 10) }
        } ?? []
        return reads + errors
    }

    /// The messages from the replies to `readCommands`.
    func messages(_ queue: LayoutQueue, _ members: [StoredMember], replies: [RedisReply]) -> [LayoutMessage] {
        guard case .id(_, let store) = queue.layout.member else {
            return members.map { LayoutMessage(member: $0.member, layout: queue.layout, score: $0.score) }
        }
        let errors = queue.layout.errorSource.map { source in replies[members.count...].map { Self.newestError($0, source) } } ?? []
        return zip(members, replies).enumerated().map { index, pair in
            let (item, reply) = pair
            let stored: LayoutMessage.StoredMessage
            switch store {
            case .hash:
                let fields = (try? Self.bytePairs(reply.throwingError(), key: "")) ?? [:]
                stored = fields.isEmpty ? .missing : .hash(fields)
            case .jsonString, .roleHash:
                stored = (try? reply.throwingError().optionalBytes()).flatMap { $0 }.map { .string($0) } ?? .missing
            }
            var message = LayoutMessage(member: item.member, layout: queue.layout, score: item.score, stored: stored)
            if index < errors.count, let error = errors[index] { message.error = error }
            return message
        }
    }

    /// The last line of the newest error in an XREVRANGE reply: for a
    /// Python traceback, the exception and its message.
    static func newestError(_ reply: RedisReply, _ source: Layout.ErrorSource) -> String? {
        guard let entries = try? reply.throwingError().array() else { return nil }
        for entry in entries {
            guard let fields = try? entry.array()[1].array().map({ try $0.bytes() }) else { continue }
            for index in stride(from: 0, to: fields.count - 1, by: 2) where String(decoding: fields[index], as: UTF8.self) == source.field {
                var bytes = fields[index + 1]
                if source.encoding == .base64Zlib {
                    guard let decoded = Base64.decode(String(decoding: bytes, as: UTF8.self)), let text = Zlib.inflate(decoded) else { return nil }
                    bytes = text
                }
                let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
                return lines.last.map(String.init)
            }
        }
        return nil
    }

    /// Every message of a role that `filter` takes, page by page, handed
    /// to `body` until it returns false; at most `limit` in all.
    public func scanLayout(
        _ queue: LayoutQueue, _ role: LayoutRole, filter: DeadLetterFilter = DeadLetterFilter(), limit: Int? = nil,
        pageSize: Int = 500, newestFirst: Bool = false, body: ([LayoutMessage]) throws -> Bool
    ) throws {
        var going = true
        try forEachLayoutBatch(queue, role, filter: filter, limit: limit, pageSize: pageSize, newestFirst: newestFirst) { page in
            going = try body(page)
            return 0
        } until: { !going }
    }
}

extension Broker {
    /// Throws for the first declared key of the queues that holds another
    /// Redis type than its layout says (a missing key is fine).
    public func checkKeyTypes(_ queues: [LayoutQueue]) throws {
        let keys = queues.flatMap(\.declaredKeys)
        guard !keys.isEmpty else { return }
        let types = try connection.pipeline(keys.map { RedisCommand("TYPE", $0.key) }).map { try $0.throwingError().string() }
        for (declared, actual) in zip(keys, types) where actual != "none" && actual != declared.type {
            throw MQError.wrongKeyType(key: declared.key, expected: Self.typeName(declared.type), actual: Self.typeName(actual))
        }
    }

    /// Hands `body` the messages of a role that `filter` takes, a page at
    /// a time, for a move: `body` returns how many of them left the role,
    /// so the next page starts where the unread members now are.
    public func forEachLayoutBatch(
        _ queue: LayoutQueue, _ role: LayoutRole, filter: DeadLetterFilter, limit: Int?, pageSize: Int = 500,
        newestFirst: Bool = false, body: ([LayoutMessage]) throws -> Int, until done: () -> Bool = { false }
    ) throws {
        var offset = 0, taken = 0
        let now = time.nowMilliseconds()
        while limit.map({ taken < $0 }) ?? true, !done() {
            let page = try layoutMessages(queue, role, offset: offset, count: pageSize, newestFirst: newestFirst)
            guard !page.isEmpty else { return }
            var chosen = page.filter { queue.owns($0, in: role) && filter.matches($0, now: now) }
            if let limit { chosen = Array(chosen.prefix(limit - taken)) }
            taken += chosen.count
            let removed = chosen.isEmpty ? 0 : try body(chosen)
            offset += page.count - removed
            if page.count < pageSize { return }
        }
    }
}

extension DeadLetterFilter {
    /// Whether a layout message qualifies; its age is from failed-at, else
    /// its score, else enqueued-at. Headers never match: layouts have none.
    func matches(_ message: LayoutMessage, now: Int64) -> Bool {
        if olderThan != nil || newerThan != nil {
            guard let at = message.failedAt ?? message.score ?? message.enqueuedAt else { return false }
            if let olderThan, now - at < olderThan { return false }
            if let newerThan, now - at > newerThan { return false }
        }
        if !headers.isEmpty { return false }
        if let error {
            let text = message.error ?? ""
            guard error.matches(text) else { return false }
        }
        if let needle = payloadContains, !needle.isEmpty {
            let payload = message.payload
            guard payload.count >= needle.count,
                  (0...(payload.count - needle.count)).contains(where: { payload[$0..<($0 + needle.count)].elementsEqual(needle) })
            else { return false }
        }
        return true
    }
}
