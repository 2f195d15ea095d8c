import MQParsing
import MQRedis

/// Moves, removals and enqueues on a layout whose `writeProtocol` is
/// BullMQ, through `BullMQScripts`, so BullMQ's workers see them as they
/// see their own: woken by the marker, told by the events stream.
extension Broker {
    /// The keys every BullMQ script takes first, in `BullMQScripts`' order.
    private func bullmqKeys(_ queue: LayoutQueue) -> [any RedisArgument] {
        ["wait", "meta", "active", "marker", "prioritized", "pc", "events"].map { queue.siblingKey($0)! }
    }

    /// The state BullMQ names a role by, for the events: its failed and
    /// delayed sets are the only ones mqctl moves from.
    private func bullmqState(_ role: LayoutRole) throws -> String {
        switch role {
        case .dead: "failed"
        case .delayed: "delayed"
        case .ready, .retry: throw MQError.layoutRefused("layout 'bullmq': mqctl moves BullMQ jobs from failed and delayed only")
        }
    }

    /// Makes failed jobs ready as Job.retry does (attempts reset unless
    /// kept or the layout keeps them), delayed ones as Job.promote does.
    func bullmqMakeReady(_ queue: LayoutQueue, from role: LayoutRole, _ messages: [LayoutMessage], keepAttempts: Bool) throws -> LayoutMoveResult {
        let state = try bullmqState(role)
        let (sourceKey, _) = try source(queue, role)
        let reset = !keepAttempts && queue.layout.replay.attempts == .reset
        var result = LayoutMoveResult(unreadable: messages.filter { $0.problem != nil }.count)
        let ids = messages.filter { $0.problem == nil }.map(\.member)
        for start in stride(from: 0, to: ids.count, by: Self.batchSize) {
            let batch = ids[start..<min(start + Self.batchSize, ids.count)]
            let reply = try connection.run(
                BullMQScripts.makeReady,
                keys: bullmqKeys(queue) + [sourceKey] + batch.map { jobKey(queue, $0) },
                arguments: [state, reset ? "1" : "0"] + batch.map { $0 as any RedisArgument }).array()
            result.moved += Int(try reply[0].int())
            result.missing += Int(try reply[1].int())
        }
        return result
    }

    /// Removes failed or delayed jobs with their keys, as Job.remove does;
    /// flow members, locked jobs and job-scheduler jobs are kept and
    /// counted as unreadable (left in place).
    func bullmqRemove(_ queue: LayoutQueue, from role: LayoutRole, _ messages: [LayoutMessage]) throws -> LayoutMoveResult {
        let state = try bullmqState(role)
        let (sourceKey, _) = try source(queue, role)
        var result = LayoutMoveResult()
        let ids = messages.map(\.member)
        for start in stride(from: 0, to: ids.count, by: Self.batchSize) {
            let batch = ids[start..<min(start + Self.batchSize, ids.count)]
            let reply = try connection.run(
                BullMQScripts.remove,
                keys: bullmqKeys(queue) + [sourceKey] + batch.map { jobKey(queue, $0) },
                arguments: [state, queue.siblingKey("")!] + batch.map { $0 as any RedisArgument }).array()
            result.moved += Int(try reply[0].int())
            result.missing += Int(try reply[1].int())
            result.unreadable += Int(try reply[2].int())
        }
        return result
    }

    /// A job `enqueue` can add: `{"name": …, "data": …, "opts": {…}}`, as
    /// Queue.add(name, data, opts) takes them.
    struct BullMQJob {
        var id: String
        var name: String
        var data: String
        var opts: [JSONMember]
        var priority: Int64
        var lifo: Bool

        init(_ payload: [UInt8], index: Int) throws {
            let fail = { (why: String) in MQError.layoutRefused("message \(index + 1): \(why), as BullMQ's Queue.add takes them; nothing was enqueued") }
            let root: [JSONMember]
            do { root = try JSONReader.object(payload) } catch { throw fail("is not a JSON object {\"name\", \"data\", \"opts\"} (\(error))") }
            let value = { (name: String) in root.first { $0.name == name }?.value }
            guard case .string(let name)? = value("name"), !name.isEmpty else { throw fail("needs a job name (\"name\")") }
            guard let data = value("data") else { throw fail("needs the job's data (\"data\")") }
            self.name = name
            self.data = data.text
            var opts: [JSONMember] = []
            switch value("opts") {
            case nil: break
            case .object(let members)?: opts = members
            default: throw fail("\"opts\" must be an object")
            }
            let option = { (name: String) in opts.first { $0.name == name }?.value }
            switch option("jobId") {
            case nil: id = ""
            case .string(let text)? where !text.isEmpty && !text.contains(":") && Int64(text) == nil: id = text
            default: throw fail("opts.jobId must be a string without ':' that is not a whole number (BullMQ's rule)")
            }
            switch option("priority") {
            case nil: priority = 0
            case .integer(let value)? where (0...2_097_152).contains(value): priority = value
            default: throw fail("opts.priority must be a whole number from 0 to 2097152")
            }
            switch option("lifo") {
            case nil, .bool(false)?: lifo = false
            case .bool(true)?: lifo = true
            default: throw fail("opts.lifo must be true or false")
            }
            if let delay = option("delay") { guard case .integer(let ms) = delay, ms >= 0 else { throw fail("opts.delay must be whole ms") } }
            // BullMQ keeps the id out of the stored options.
            opts.removeAll { $0.name == "jobId" }
            if option("attempts") == nil { opts.append(JSONMember(name: "attempts", value: .integer(1))) }
            self.opts = opts
        }

        /// The options as stored, with the delay this add gives it.
        func storedOptions(delay: Int64) -> String {
            JSONValue.object(opts.filter { $0.name != "delay" } + [JSONMember(name: "delay", value: .integer(delay))]).text
        }

        var delay: Int64 {
            if case .integer(let ms)? = opts.first(where: { $0.name == "delay" })?.value { return ms }
            return 0
        }
    }

    /// Adds jobs as Queue.add does: ready now, or delayed until `runAt`
    /// (ms) or by their own opts.delay. A job naming an id in use is left
    /// alone, as Queue.add leaves it (idempotent), and not counted as added.
    func bullmqAdd(_ payloads: [[UInt8]], to queue: LayoutQueue, runAt: Int64?) throws -> Int {
        let jobs = try payloads.enumerated().map { try BullMQJob($0.element, index: $0.offset) }
        guard let delayed = queue.delayed else { throw MQError.roleMissing(layout: queue.layout.name, role: "delayed") }
        let now = time.nowMilliseconds()
        let keys = bullmqKeys(queue) + [queue.siblingKey("id")!, delayed.key,
                                        queue.own.counter(.enqueued), queue.own.counter(.enqueued, minute: now / 60_000)]
        var added = 0
        for start in stride(from: 0, to: jobs.count, by: Self.batchSize) {
            var arguments: [any RedisArgument] = [queue.siblingKey("")!, now, Keyspace.minuteBucketTTL]
            for job in jobs[start..<min(start + Self.batchSize, jobs.count)] {
                let delay = runAt.map { max(0, $0 - now) } ?? job.delay
                arguments += [job.id, job.name, job.data, job.storedOptions(delay: delay), delay, job.priority, job.lifo ? "1" : "0"]
            }
            let reply = try connection.run(BullMQScripts.add, keys: keys, arguments: arguments).array()
            added += Int(try reply[0].int())
        }
        return added
    }

    /// Throws unless every payload is a job Queue.add would take.
    func bullmqValidate(_ payloads: [[UInt8]]) throws {
        for (index, payload) in payloads.enumerated() { _ = try BullMQJob(payload, index: index) }
    }

    private func jobKey(_ queue: LayoutQueue, _ id: [UInt8]) -> any RedisArgument {
        queue.messageKey(id: String(decoding: id, as: UTF8.self))!
    }
}
