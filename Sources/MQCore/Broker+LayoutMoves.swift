import FoundationEssentials
import Glibc
import MQParsing
import MQRedis

/// What a move over a layout queue did: members moved, members already
/// gone when the script ran (taken by the application meanwhile), and
/// members left in place because they could not be read.
public struct LayoutMoveResult: Equatable, Sendable {
    public var moved = 0
    public var missing = 0
    public var unreadable = 0

    public init(moved: Int = 0, missing: Int = 0, unreadable: Int = 0) {
        self.moved = moved
        self.missing = missing
        self.unreadable = unreadable
    }

    static func + (lhs: Self, rhs: Self) -> Self {
        Self(moved: lhs.moved + rhs.moved, missing: lhs.missing + rhs.missing, unreadable: lhs.unreadable + rhs.unreadable)
    }
}

/// Where a move puts members.
public enum LayoutTarget: Equatable, Sendable {
    /// The back of a ready tier (the tier the member names, else the
    /// layout's default), as if just enqueued.
    case ready
    /// The retry set at `at` (ms).
    case retry(at: Int64)
    /// The dead letters, failed now.
    case dead
}

extension Broker {
    /// The key and kind (`zset`, `list`) a role is read from.
    func source(_ queue: LayoutQueue, _ role: LayoutRole) throws -> (key: String, kind: String) {
        try queue.layout.check(role.name)
        switch role {
        case .ready(let tier?): return (try queue.tier(tier).key, "list")
        case .ready(nil): throw MQError.layoutRefused("name the ready tier to move from")
        case .delayed:
            guard let delayed = queue.delayed else { throw MQError.roleMissing(layout: queue.layout.name, role: "delayed") }
            return (delayed.key, "zset")
        case .retry: return (queue.retry.key, "zset")
        case .dead:
            switch queue.dead {
            case .sortedSet(let set): return (set.key, "zset")
            case .list(let key): return (key, "list")
            }
        }
    }

    /// Moves `messages`, read from `role`, to `target`, in batches of one
    /// script each. Unreadable members stay where they are, except when
    /// the target is the dead letters (where an operator can still see
    /// them).
    ///
    /// `asRetry` rewrites members going to ready as the framework's own
    /// retry does (`Layout.replay`); otherwise only enqueued-at is stamped,
    /// where the layout stamps it.
    public func moveLayout(_ queue: LayoutQueue, from role: LayoutRole, _ messages: [LayoutMessage], to target: LayoutTarget,
                           asRetry: Bool = false, keepAttempts: Bool = false) throws -> LayoutMoveResult {
        try queue.layout.check("moves")
        switch target {
        case .retry: try queue.layout.check("retry")
        case .dead: try queue.layout.check("dead")
        case .ready: break
        }
        if queue.layout.writeProtocol == .bullmq {
            guard target == .ready else { throw MQError.layoutRefused("layout '\(queue.layout.name)': BullMQ's workers alone fail jobs") }
            return try bullmqMakeReady(queue, from: role, messages, keepAttempts: keepAttempts)
        }
        let (sourceKey, sourceKind) = try source(queue, role)
        let now = time.nowMilliseconds()
        var result = LayoutMoveResult()
        var groups: [String: (kind: String, score: String, pairs: [[UInt8]])] = [:]
        var order: [String] = []
        for message in messages {
            if message.problem != nil, target != .dead {
                result.unreadable += 1
                continue
            }
            let destination: (key: String, kind: String, score: String)
            var member = message.member
            switch target {
            case .ready:
                let tier = message.tier.flatMap { try? queue.tier($0) } ?? queue.defaultTier
                destination = (tier.key, queue.layout.push.rawValue, "0")
                member = asRetry ? message.replayed(layout: queue.layout, now: now, keepAttempts: keepAttempts)
                    : queue.layout.replay.stampEnqueuedAt ? message.rewritten(layout: queue.layout, enqueuedAt: now) : member
            case .retry(let at):
                destination = (queue.retry.key, "zset", queue.retry.unit.score(milliseconds: at))
            case .dead:
                member = message.rewritten(layout: queue.layout, failedAt: now)
                switch queue.dead {
                case .sortedSet(let set): destination = (set.key, "zset", set.unit.score(milliseconds: now))
                case .list(let key): destination = (key, queue.layout.push.rawValue, "0")
                }
            }
            if groups[destination.key] == nil {
                groups[destination.key] = (destination.kind, destination.score, [])
                order.append(destination.key)
            }
            groups[destination.key]!.pairs += [message.member, member]
        }
        if target == .ready, result.unreadable < messages.count { try register(queue) }
        if case .id(_, .roleHash(let suffix)) = queue.layout.member {
            // The JSON is the payload here; a replay gives it a new id, as the framework needs.
            let byID = Dictionary(messages.map { (String(decoding: $0.member, as: UTF8.self), $0) }) { first, _ in first }
            for key in order {
                let group = groups[key]!
                var triples: [any RedisArgument] = []
                for index in stride(from: 0, to: group.pairs.count, by: 2) {
                    let old = String(decoding: group.pairs[index], as: UTF8.self)
                    guard let message = byID[old] else { continue }
                    let (newID, data) = message.renamed(layout: queue.layout, now: now, target: target, asRetry: asRetry, keepAttempts: keepAttempts)
                    triples += [old, newID, data]
                }
                for start in stride(from: 0, to: triples.count, by: Self.batchSize * 3) {
                    let batch = Array(triples[start..<min(start + Self.batchSize * 3, triples.count)])
                    let reply = try connection.run(
                        LayoutScripts.moveRoleHashed, keys: [sourceKey, key, sourceKey + suffix, key + suffix],
                        arguments: [sourceKind, group.kind, group.score] + batch).array()
                    result.moved += Int(try reply[0].int())
                    result.missing += Int(try reply[1].int())
                }
            }
            return result
        }
        if case .id = queue.layout.member {
            let fields = switch target {
            case .ready: queue.layout.readyFields + (asRetry ? queue.layout.replayFields : [])
            case .dead: queue.layout.deadFields
            case .retry: [Layout.FieldValue]()
            }
            let pairs = fields.flatMap { [$0.field, $0.value.text(queue: queue.name, now: now)] }
            for key in order {
                let group = groups[key]!
                let ids = stride(from: 0, to: group.pairs.count, by: 2).map { group.pairs[$0] }
                for start in stride(from: 0, to: ids.count, by: Self.batchSize) {
                    let batch = ids[start..<min(start + Self.batchSize, ids.count)]
                    let hashes = batch.map { queue.messageKey(id: String(decoding: $0, as: UTF8.self))! as any RedisArgument }
                    let reply = try connection.run(
                        LayoutScripts.moveIDs, keys: [sourceKey, key] + hashes,
                        arguments: [sourceKind, group.kind, group.score, fields.count] + pairs.map { $0 as any RedisArgument }
                            + batch.map { $0 as any RedisArgument }).array()
                    result.moved += Int(try reply[0].int())
                    result.missing += Int(try reply[1].int())
                }
            }
            return result
        }
        for key in order {
            let group = groups[key]!
            for start in stride(from: 0, to: group.pairs.count, by: Self.batchSize * 2) {
                let pairs = group.pairs[start..<min(start + Self.batchSize * 2, group.pairs.count)]
                let reply = try connection.run(
                    LayoutScripts.move, keys: [sourceKey, key],
                    arguments: [sourceKind, group.kind, group.score] + pairs.map { $0 as any RedisArgument }).array()
                result.moved += Int(try reply[0].int())
                result.missing += Int(try reply[1].int())
            }
        }
        if target == .dead, result.moved > 0 { try trimDead(queue) }
        return result
    }

    /// Names the queue in the layout's set of queues, where it has one, as
    /// the framework's client does before a push (Sidekiq: SADD queues).
    func register(_ queue: LayoutQueue) throws {
        guard case .set(let key, let prefix) = queue.layout.queues else { return }
        try connection.send("SADD", key, prefix + queue.name.rawValue)
    }

    /// Applies the layout's dead-letter caps, oldest first, as the
    /// framework does after each death (Sidekiq: 180 days, 10,000 jobs).
    /// Returns how many were removed.
    @discardableResult
    public func trimDead(_ queue: LayoutQueue) throws -> Int {
        guard case .sortedSet(let set) = queue.dead, queue.layout.deadMax != nil || queue.layout.deadMaxAge != nil else { return 0 }
        var commands: [RedisCommand] = []
        if let age = queue.layout.deadMaxAge {
            commands.append(RedisCommand("ZREMRANGEBYSCORE", set.key, "-inf", "(" + set.unit.score(milliseconds: time.nowMilliseconds() - age)))
        }
        if let max = queue.layout.deadMax { commands.append(RedisCommand("ZREMRANGEBYRANK", set.key, 0, Int(-max - 1))) }
        return try connection.pipeline(commands).reduce(0) { $0 + Int(try $1.throwingError().int()) }
    }

    /// Whether each member is (still) in a list or sorted set.
    func areMembers(_ key: String, kind: String, _ members: [[UInt8]]) throws -> [Bool] {
        try connection.pipeline(members.map { kind == "zset" ? RedisCommand("ZSCORE", key, $0) : RedisCommand("LPOS", key, $0) })
            .map { !(try $0.throwingError().isNull) }
    }

    /// Removes `messages` from `role` for good (purge, cancel).
    public func removeLayout(_ queue: LayoutQueue, from role: LayoutRole, _ messages: [LayoutMessage]) throws -> LayoutMoveResult {
        try queue.layout.check("moves")
        if queue.layout.writeProtocol == .bullmq { return try bullmqRemove(queue, from: role, messages) }
        let (key, kind) = try source(queue, role)
        var result = LayoutMoveResult()
        for start in stride(from: 0, to: messages.count, by: Self.batchSize) {
            let batch = messages[start..<min(start + Self.batchSize, messages.count)]
            let removed = Int(try connection.run(LayoutScripts.remove, keys: [key], arguments: [kind] + batch.map { $0.member as any RedisArgument }).int())
            // An id's message goes with it, as the framework's own delete does.
            if removed > 0, case .id(_, .roleHash(let suffix)) = queue.layout.member {
                let present = try areMembers(key, kind: kind, batch.map(\.member))
                let gone = zip(batch, present).filter { !$0.1 }.map { String(decoding: $0.0.member, as: UTF8.self) }
                if !gone.isEmpty { try connection.send(RedisCommand(["HDEL", key + suffix] + gone)) }
            } else if removed > 0, case .id = queue.layout.member {
                let present = try areMembers(key, kind: kind, batch.map(\.member))
                let gone = zip(batch, present).filter { !$0.1 }.compactMap { queue.messageKey(id: String(decoding: $0.0.member, as: UTF8.self)) }
                if !gone.isEmpty { try connection.send(RedisCommand(["DEL"] + gone)) }
            }
            result.moved += removed
            result.missing += batch.count - removed
        }
        return result
    }

    /// Moves due delayed and retry members to ready, a bounded batch per
    /// script: the due page is read, then each member is moved only if it
    /// is still there (ZREM), so the application's own poller and this one
    /// never both deliver it. Stops at `limit` or when nothing is due.
    public func promote(_ queue: LayoutQueue, limit: Int? = nil) throws -> (delayed: LayoutMoveResult, retry: LayoutMoveResult) {
        var results: [LayoutQueue.ScheduledRole: LayoutMoveResult] = [:]
        var left = limit ?? Int.max
        try checkKeyTypes([queue])
        for (role, set) in queue.scheduled where left > 0 {
            var total = LayoutMoveResult()
            let layoutRole: LayoutRole = role == .delayed ? .delayed : .retry
            // Members left where they are (another queue's in a shared set,
            // unreadable ones) are skipped by rank, so each page is new.
            var skipped = 0
            while left > 0 {
                try Interruption.checkpoint()
                let now = time.nowMilliseconds()
                let count = min(Self.batchSize, left)
                let reply = try connection.send("ZRANGEBYSCORE", set.key, "-inf", set.unit.score(milliseconds: now), "WITHSCORES",
                                                "LIMIT", skipped, count).array()
                var members: [StoredMember] = []
                for index in stride(from: 0, to: reply.count - 1, by: 2) {
                    members.append(StoredMember(member: try reply[index].bytes(),
                                                score: set.unit.milliseconds(score: Double(try reply[index + 1].string()) ?? 0), key: set.key))
                }
                guard !members.isEmpty else { break }
                let messages = try read(queue, members)
                let mine = messages.filter { queue.owns($0, in: layoutRole) }
                let step = try moveLayout(queue, from: layoutRole, mine, to: .ready)
                total = total + step
                skipped += messages.count - mine.count + step.unreadable
                left -= mine.count
                // A member already gone was moved by the application's own poller: go on.
                if members.count < count { break }
            }
            results[role] = total
        }
        return (results[.delayed] ?? LayoutMoveResult(), results[.retry] ?? LayoutMoveResult())
    }

    /// The member `enqueue` writes for a payload: the layout's defaults
    /// added where the JSON object lacks them, and enqueued-at stamped on a
    /// push to ready when the layout stamps it.
    func member(from payload: [UInt8], for queue: LayoutQueue, now: Int64, ready: Bool) -> [UInt8] {
        let layout = queue.layout
        guard layout.messagesAreJSON, !layout.enqueueDefaults.isEmpty || layout.replay.stampEnqueuedAt,
              var root = try? JSONValue.object(JSONReader.object(payload)) else { return payload }
        for fill in layout.enqueueDefaults {
            let pointer = JSONPointer(fill.field)
            guard pointer.value(in: root) == nil else { continue }
            root = pointer.setting(fill.value.value(queue: queue.name, now: now), in: root)
        }
        if ready, layout.replay.stampEnqueuedAt, let field = layout.fields.enqueuedAt {
            root = JSONPointer(field.path).setting(field.unit.json(now), in: root)
        }
        return Array(root.text.utf8)
    }

    /// Throws unless mqctl can write `members` as the layout's members.
    public func validate(_ members: [[UInt8]], for queue: LayoutQueue) throws {
        let layout = queue.layout
        try layout.check("enqueue")
        switch layout.writeProtocol {
        case .bullmq: return try bullmqValidate(members)
        case .rq:
            let now = time.nowMilliseconds()
            for (index, member) in members.enumerated() { _ = try RQJob(member, index: index, queue: queue.name, now: now, scheduled: false) }
            return
        case .celery:
            for (index, member) in members.enumerated() { _ = try CeleryMessage.envelope(member, index: index, queue: queue.name, priority: 0, eta: nil) }
            return
        case nil: break
        }
        if case .id = layout.member, !layout.messagesAreJSON {
            throw MQError.layoutRefused("layout '\(layout.name)' keeps its messages under ids in other keys; mqctl does not write them (enqueue with the application)")
        }
        guard layout.messagesAreJSON else { return }
        for (index, member) in members.enumerated() {
            let root: JSONValue
            do { root = .object(try JSONReader.object(member)) } catch {
                throw MQError.layoutRefused("message \(index + 1) is not a JSON object, as layout '\(layout.name)' needs: \(error); nothing was enqueued")
            }
            if let missing = layout.enqueueRequired.first(where: { JSONPointer($0).value(in: root) == nil }) {
                throw MQError.layoutRefused("message \(index + 1) has no \(missing), which layout '\(layout.name)' needs; nothing was enqueued")
            }
        }
    }

    /// Writes new members to a ready tier, or to the delayed set when
    /// `runAt` is later than now, a batch per script; a batch that would
    /// take the queue past its capacity is refused whole, and so are the
    /// batches after it. Returns how many were added and refused.
    public func enqueue(_ payloads: [[UInt8]], to queue: LayoutQueue, tier: String?, runAt: Int64?) throws -> (added: Int, refused: Int) {
        let layout = queue.layout
        try validate(payloads, for: queue)
        var payloads = payloads, runAt = runAt
        switch layout.writeProtocol {
        case .bullmq: return (try bullmqAdd(payloads, to: queue, runAt: runAt), 0)
        case .rq: return (try rqAdd(payloads, to: queue, tier: tier, runAt: runAt), 0)
        case .celery:
            payloads = try celeryEnvelopes(payloads, for: queue, tier: tier, runAt: runAt)
            runAt = nil
        case nil: break
        }
        let now = time.nowMilliseconds()
        let delayed = runAt.map { $0 > now } ?? false
        let members = payloads.map { member(from: $0, for: queue, now: now, ready: !delayed) }
        if !delayed { try register(queue) }
        let target: (key: String, kind: String, score: String)
        if let runAt, runAt > now {
            guard let delayed = queue.delayed else { throw MQError.roleMissing(layout: layout.name, role: "delayed") }
            target = (delayed.key, "zset", delayed.unit.score(milliseconds: runAt))
        } else {
            let tier = try tier.map { try queue.tier($0) } ?? queue.defaultTier
            target = (tier.key, layout.push.rawValue, "0")
        }
        if case .id(_, .roleHash(let suffix)) = layout.member {
            return (try enqueueRoleHashed(members, to: queue, list: target.key, hash: target.key + suffix, now: now), 0)
        }
        let counted = queue.ready.map(\.key) + (queue.delayed.map { [$0.key] } ?? [])
        var added = 0
        for start in stride(from: 0, to: members.count, by: Self.batchSize) {
            let batch = members[start..<min(start + Self.batchSize, members.count)]
            let reply = try connection.run(
                LayoutScripts.enqueue,
                keys: [target.key, queue.own.counter(.enqueued), queue.own.counter(.enqueued, minute: now / 60_000)] + counted,
                arguments: [target.kind, target.score, Int(layout.capacity ?? 0), Keyspace.minuteBucketTTL] + batch.map { $0 as any RedisArgument }
            ).array()
            if try reply[0].optionalString() == "FULL" {
                try countRejected(members.count - start, keys: queue.own, now: now)
                return (added, members.count - start)
            }
            added += Int(try reply[0].int())
        }
        return (added, 0)
    }

    /// Counts enqueues to a layout queue refused at its capacity (total and
    /// this minute), as the native enqueue script counts its own: the drop
    /// rate `stats` shows and `check --max-rejected` alerts on.
    func countRejected(_ count: Int, keys: QueueKeys, now: Int64) throws {
        guard count > 0 else { return }
        let minute = keys.counter(.rejected, minute: now / 60_000)
        _ = try connection.pipeline([
            RedisCommand("INCRBY", keys.counter(.rejected), count), RedisCommand("INCRBY", minute, count),
            RedisCommand("EXPIRE", minute, Keyspace.minuteBucketTTL),
        ])
    }

    /// Enqueues JSON messages kept in a hash per role (Dramatiq): each gets
    /// a new id, written into the message where the layout carries it.
    private func enqueueRoleHashed(_ messages: [[UInt8]], to queue: LayoutQueue, list: String, hash: String, now: Int64) throws -> Int {
        var added = 0
        for start in stride(from: 0, to: messages.count, by: Self.batchSize) {
            var pairs: [any RedisArgument] = []
            for message in messages[start..<min(start + Self.batchSize, messages.count)] {
                let id = UUID().uuidString.lowercased()
                var root = (try? JSONValue.object(JSONReader.object(message))) ?? .object([])
                if let path = queue.layout.replay.newIDPath { root = JSONPointer(path).setting(.string(id), in: root) }
                pairs += [id, Array(root.text.utf8)]
            }
            added += Int(try connection.run(
                LayoutScripts.enqueueRoleHashed,
                keys: [list, hash, queue.own.counter(.enqueued), queue.own.counter(.enqueued, minute: now / 60_000)],
                arguments: [queue.layout.push.rawValue, Keyspace.minuteBucketTTL] + pairs).int())
        }
        return added
    }

    /// Moves a layout queue's members into the native queue `target`,
    /// keeping enqueued-at, attempts and last error; one script per batch
    /// removes each member and writes its envelope, so a member is in one
    /// place or the other. Ready members go to ready, delayed and retry to
    /// their sets with their times, dead to dead. Returns what moved.
    public func migrate(_ queue: LayoutQueue, role: LayoutRole, _ messages: [LayoutMessage], to target: QueueName) throws -> LayoutMoveResult {
        try queue.layout.check("moves")
        if queue.layout.writeProtocol != nil {
            throw MQError.layoutRefused("layout '\(queue.layout.name)': its jobs leave only through the framework's own scripts, which migrate does not follow")
        }
        if connection.isCluster {
            throw MQError.layoutRefused("migrate moves between keys in different cluster slots; it is not offered on a cluster")
        }
        let (sourceKey, sourceKind) = try source(queue, role)
        let native = keys.queue(target)
        let now = time.nowMilliseconds()
        let state: MessageState = switch role {
        case .ready: .ready
        case .delayed: .delayed
        case .retry: .retry
        case .dead: .dead
        }
        var result = LayoutMoveResult()
        try connection.send("SADD", keys.queues, target.rawValue)
        let readable = messages.filter { $0.problem == nil }
        result.unreadable = messages.count - readable.count
        // The layout's attempts rule travels with its messages.
        let maxAttempts = queue.layout.maxAttempts
        // Members keep their tier when it is one of mqctl's priorities.
        let byPriority = Dictionary(grouping: readable) { message in
            message.tier.flatMap(Priority.init(rawValue:)) ?? .normal
        }
        for (priority, group) in byPriority.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let targetKey = switch state {
            case .ready, .inflight: native.ready(priority)
            case .delayed: native.delayed
            case .retry: native.retry
            case .dead: native.dead
            }
            for start in stride(from: 0, to: group.count, by: Self.batchSize) {
                let batch = group[start..<min(start + Self.batchSize, group.count)]
                var scriptKeys: [any RedisArgument] = [sourceKey, targetKey, native.wake]
                var arguments: [any RedisArgument] = [sourceKind, state.rawValue]
                for message in batch {
                    let id = (try? MessageID.validate(message.id)) ?? MessageID.generate(nowMilliseconds: now)
                    let runAt = message.score ?? now
                    let failedAt = state == .dead ? (message.failedAt ?? message.score ?? now) : message.failedAt
                    scriptKeys.append(native.message(id))
                    let envelope = Envelope(
                        id: id, payload: message.payload, priority: priority, attempts: message.attempts ?? 0,
                        maxAttempts: maxAttempts, enqueuedAt: message.enqueuedAt ?? message.score ?? now, runAt: runAt,
                        state: state, lastError: message.error, failedAt: failedAt)
                    let flat = envelope.fields.flatMap { [$0.0 as any RedisArgument, $0.1 as any RedisArgument] }
                    arguments += [message.member, id, Int(failedAt ?? runAt), flat.count] + flat
                }
                let reply = try connection.run(LayoutScripts.migrateIn, keys: scriptKeys, arguments: arguments).array()
                result.moved += Int(try reply[0].int())
                result.missing += Int(try reply[1].int())
            }
        }
        return result
    }

    /// Writes imported members to the dead letters (scored by their time,
    /// else now) or to the back of the default ready tier; members already
    /// there are skipped. Returns how many were added and skipped.
    public func importMembers(_ items: [(member: [UInt8], at: Int64?)], to queue: LayoutQueue, dead: Bool) throws -> (added: Int, existing: Int) {
        // A restore writes back what an export read, readable or not.
        try queue.layout.check(dead ? "dead" : "enqueue")
        if case .id = queue.layout.member {
            throw MQError.layoutRefused("layout '\(queue.layout.name)' keeps its messages under ids in other keys, and an export holds the ids; restore them with the framework")
        }
        let now = time.nowMilliseconds()
        let key: String, kind: String, unit: Layout.ScoreUnit?
        if dead {
            switch queue.dead {
            case .sortedSet(let set): (key, kind, unit) = (set.key, "zset", set.unit)
            case .list(let list): (key, kind, unit) = (list, queue.layout.push.rawValue, nil)
            }
        } else {
            (key, kind, unit) = (queue.defaultTier.key, queue.layout.push.rawValue, nil)
        }
        var result = (added: 0, existing: 0)
        for start in stride(from: 0, to: items.count, by: Self.batchSize) {
            let batch = items[start..<min(start + Self.batchSize, items.count)]
            let pairs = batch.flatMap { item -> [any RedisArgument] in [unit?.score(milliseconds: item.at ?? now) ?? "0", item.member] }
            let reply = try connection.run(LayoutScripts.importMembers, keys: [key], arguments: [kind] + pairs).array()
            result.added += Int(try reply[0].int())
            result.existing += Int(try reply[1].int())
        }
        return result
    }
}
