import MQRedis

/// A message to enqueue.
public struct EnqueueRequest: Sendable {
    public var payload: [UInt8]
    public var headers: [String: String] = [:]
    public var priority: Priority = .normal
    /// Epoch milliseconds; a time in the future sends the message to the
    /// delayed set. Nil runs it now.
    public var runAt: Int64?
    /// Nil generates a ULID.
    public var id: String?
    public var idempotencyKey: String?
    /// Nil takes the queue's max_attempts.
    public var maxAttempts: Int64?

    public init(payload: [UInt8], headers: [String: String] = [:], priority: Priority = .normal, runAt: Int64? = nil,
                id: String? = nil, idempotencyKey: String? = nil, maxAttempts: Int64? = nil) {
        self.payload = payload
        self.headers = headers
        self.priority = priority
        self.runAt = runAt
        self.id = id
        self.idempotencyKey = idempotencyKey
        self.maxAttempts = maxAttempts
    }
}

/// What became of one enqueued message.
public enum EnqueueOutcome: Equatable, Sendable {
    case ready(id: String)
    case delayed(id: String)
    /// The idempotency key was seen within its TTL; `id` is the first message's.
    case duplicate(id: String)
    /// The id is taken; nothing was written.
    case idExists(id: String)
    /// The queue is at max_length; nothing was written.
    case queueFull(id: String)
    /// Redis refused the script call that carried it (out of memory, a
    /// key of the wrong type...); nothing of that call was written.
    case notWritten(id: String, error: RedisServerError)
}

extension Broker {
    /// How long an idempotency key is remembered.
    public static let idempotencyTTL: Int64 = 86_400_000

    /// Enqueues one message; a refusal is thrown (`queueFull`,
    /// `messageExists`). Two round trips.
    public func enqueue(_ request: EnqueueRequest, to queue: QueueName) throws -> EnqueueOutcome {
        let outcome = try enqueue([request], to: queue)[0]
        switch outcome {
        case .notWritten(_, let error):
            throw error
        case .queueFull:
            throw MQError.queueFull(queue: queue.rawValue, maxLength: try config(queue).maxLength ?? 0)
        case .idExists(let id):
            throw MQError.messageExists(queue: queue.rawValue, id: id)
        default:
            return outcome
        }
    }

    /// Enqueues many messages: one script call per `batchSize` messages,
    /// up to 20 calls in one pipeline. Outcomes in request order; a call
    /// Redis refused gives `notWritten` for each of its messages, so the
    /// caller knows exactly what was written. 1 + n / 10,000 round trips.
    public func enqueue(_ requests: [EnqueueRequest], to queue: QueueName) throws -> [EnqueueOutcome] {
        let queueKeys = keys.queue(queue)
        let now = time.nowMilliseconds()
        var calls: [(keys: [any RedisArgument], arguments: [any RedisArgument])] = []
        var ids: [String] = []
        ids.reserveCapacity(requests.count)
        for start in stride(from: 0, to: requests.count, by: Self.batchSize) {
            let batch = requests[start..<min(start + Self.batchSize, requests.count)]
            var scriptKeys: [any RedisArgument] = QueueScripts.enqueueKeys(queueKeys, now: now)
            var arguments: [any RedisArgument] = [Int(now), Int(Self.idempotencyTTL), Keyspace.minuteBucketTTL, ""]
            for request in batch {
                try Envelope.checkHeadersSize(request.headers)
                let id = try request.id.map(MessageID.validate) ?? MessageID.generate(nowMilliseconds: now)
                ids.append(id)
                let messageKey = queueKeys.message(id)
                scriptKeys += [messageKey, request.idempotencyKey.map(queueKeys.idempotency) ?? messageKey]
                arguments += [
                    id, request.priority.rawValue, Int(request.runAt ?? now), request.payload,
                    Envelope.encodeHeaders(request.headers), request.maxAttempts.map { String($0) } ?? "",
                    request.idempotencyKey == nil ? "0" : "1",
                ]
            }
            calls.append((scriptKeys, arguments))
        }
        // Registering the queue is outside the script: P:queues has no hash
        // tag, so it would take the script out of the queue's cluster slot.
        try connection.send("SADD", keys.queues, queue.rawValue)
        var outcomes: [EnqueueOutcome] = []
        for chunk in stride(from: 0, to: calls.count, by: 20) {
            let part = Array(calls[chunk..<min(chunk + 20, calls.count)])
            for (reply, call) in zip(try connection.runPipelined(QueueScripts.enqueue, part), part) {
                guard case .error(let error) = reply else {
                    for item in try reply.array() {
                        outcomes.append(try Self.outcome(item, id: ids[outcomes.count]))
                    }
                    continue
                }
                for _ in 0..<((call.arguments.count - 4) / 7) {
                    outcomes.append(.notWritten(id: ids[outcomes.count], error: error))
                }
            }
        }
        return outcomes
    }

    private static func outcome(_ reply: RedisReply, id: String) throws -> EnqueueOutcome {
        let code = try reply.string()
        switch code {
        case "r": return .ready(id: id)
        case "d": return .delayed(id: id)
        case "x": return .idExists(id: id)
        case "f": return .queueFull(id: id)
        default:
            guard code.hasPrefix("=") else {
                throw RedisClientError.unexpectedReply(expected: "an enqueue outcome", got: reply)
            }
            return .duplicate(id: String(code.dropFirst()))
        }
    }
}
