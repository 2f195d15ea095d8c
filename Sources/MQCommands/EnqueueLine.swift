import MQCore
import MQParsing

/// One line of `enqueue --stdin --ndjson`: a JSON object whose fields
/// override the command line's. Every field is type-checked and an unknown
/// one refused, so a typo or a number where a string belongs is an error
/// rather than a message sent with the default instead.
enum EnqueueLine {
    static let fields = "payload, payload_encoding, headers, priority, delay, at, id, idempotency_key, max_attempts"

    static func parse(_ line: [UInt8], template: EnqueueRequest, now: Int64) throws -> EnqueueRequest {
        var request = template
        var payload: String?
        var encoding: String?
        var delay: DurationValue?
        var at: TimeValue?
        // null stands for a field not given, as in `dlq export`'s lines.
        for member in try JSONReader.object(line) where member.value != .null {
            switch member.name {
            case "payload": payload = try member.string()
            case "payload_encoding": encoding = try member.string()
            case "headers":
                request.headers = try member.stringObject()
                try Envelope.checkHeadersSize(request.headers)
            case "priority": request.priority = try Priority(parsing: member.string())
            case "delay": delay = try DurationValue(parsing: member.string())
            case "at": at = try member.time()
            case "id": request.id = try MessageID.validate(member.string())
            case "idempotency_key":
                let key = try member.string()
                guard !key.isEmpty else { throw UsageError("\"idempotency_key\" must not be empty") }
                request.idempotencyKey = key
            case "max_attempts": request.maxAttempts = try member.integer(in: 1...QueueConfigChange.largest)
            default: throw UsageError("unknown field '\(member.name)' (fields: \(fields))")
            }
        }
        guard let payload else { throw UsageError("\"payload\" is missing") }
        request.payload = try JSONPayload.decode(payload, encoding: encoding)
        guard delay == nil || at == nil else { throw UsageError("give \"delay\" or \"at\", not both") }
        // Durations and times are bounded, so this cannot overflow.
        if let delay { request.runAt = now + delay.milliseconds }
        if let at { request.runAt = at.epochMilliseconds(now: now) }
        return request
    }
}
