import MQRedis

/// Enqueues a stream of payloads that share one request's options
/// (`enqueue --stdin`): `Broker.batchSize` messages per script call, and
/// the next call is built and written while Redis runs the one before, so
/// client and server work overlap. Each call is atomic: one Redis refuses
/// writes none of its messages. The counts are exact on every way out,
/// except for calls sent when the connection broke (`unconfirmed`).
public final class BulkEnqueuer {
    /// Calls written and not yet answered, at most: two keep Redis busy
    /// while the next is built.
    private static let inFlight = 2
    private let broker: Broker
    private let queueKeys: QueueKeys
    private let queue: QueueName
    private let template: EnqueueRequest
    private var registered = false
    private var payloads: [[UInt8]] = []
    /// The message count of each call in flight, oldest first.
    private var sent: [Int] = []
    public private(set) var written = 0
    /// Refused at max_length.
    public private(set) var rejected = 0
    /// In calls Redis refused (out of memory, a key of the wrong type).
    public private(set) var notWritten = 0
    /// Messages sent whose call had not answered when the link broke.
    public var unconfirmed: Int { sent.reduce(0, +) }

    /// `template` gives every message's options; it names no id and no
    /// idempotency key, which belong to one message.
    public init(_ broker: Broker, queue: QueueName, template: EnqueueRequest) throws {
        precondition(template.id == nil && template.idempotencyKey == nil, "a bulk template names one message")
        try Envelope.checkHeadersSize(template.headers)
        self.broker = broker
        self.queueKeys = broker.keys.queue(queue)
        self.queue = queue
        self.template = template
        payloads.reserveCapacity(Broker.batchSize)
    }

    /// Adds one message; a full batch is sent. Throws a refusal or an
    /// interruption only once the calls in flight have answered.
    public func add(_ payload: [UInt8]) throws {
        payloads.append(payload)
        if payloads.count == Broker.batchSize { try send() }
    }

    /// Sends what is left and waits for every reply.
    public func finish() throws {
        if !payloads.isEmpty { try send() }
        try settle(keeping: 0)
    }

    private func send() throws {
        if !registered {
            // Outside the script: P:queues has no hash tag (see `enqueue`).
            try broker.connection.send("SADD", broker.keys.queues, queue.rawValue)
            registered = true
        }
        // Counted as sent first: a link that breaks while the call is
        // written (or, on a cluster, run) leaves it unconfirmed, not unsaid.
        sent.append(payloads.count)
        try broker.connection.submit(call())
        payloads.removeAll(keepingCapacity: true)
        try settle(keeping: Self.inFlight)
        if Interruption.requested { try settle(keeping: 0) }
        try Interruption.checkpoint()
    }

    private func call() -> RedisCommand {
        let now = broker.time.nowMilliseconds()
        var command = QueueScripts.enqueuePayloads.evalCall(keyCount: 10 + payloads.count)
        for key in QueueScripts.enqueueKeys(queueKeys, now: now) { command.append(key) }
        let ids = payloads.map { _ in MessageID.generate(nowMilliseconds: now) }
        for id in ids { command.append(queueKeys.message(id)) }
        command.append(now)
        command.append(Keyspace.minuteBucketTTL)
        command.append(template.priority.rawValue)
        command.append(template.runAt ?? now)
        command.append(Envelope.encodeHeaders(template.headers))
        command.append(template.maxAttempts.map { String($0) } ?? "")
        for (id, payload) in zip(ids, payloads) {
            command.append(id)
            command.append(payload)
        }
        return command
    }

    /// Reads replies until at most `keeping` calls are in flight. On a
    /// refused call the others in flight are read too, so every count is
    /// known, and the first refusal is thrown.
    private func settle(keeping: Int) throws {
        var refusal: RedisServerError?
        while sent.count > (refusal == nil ? keeping : 0) {
            let reply = try broker.connection.nextReply()
            let size = sent.removeFirst()
            if case .error(let error) = reply {
                notWritten += size
                refusal = refusal ?? error
                continue
            }
            let counts = try reply.array()
            guard counts.count == 2 else {
                throw RedisClientError.unexpectedReply(expected: "{written, rejected}", got: reply)
            }
            written += Int(try counts[0].int())
            rejected += Int(try counts[1].int())
        }
        if let refusal { throw refusal }
    }
}
