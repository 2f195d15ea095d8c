import FoundationEssentials
import Glibc
import MQFormat
import MQParsing

/// Where a message is in its lifecycle (DESIGN.md §3).
public enum MessageState: String, Sendable, CaseIterable {
    case ready, delayed, retry, inflight, dead
}

/// A message as stored in its hash `P:{Q}:msg:{id}`. The payload is bytes
/// and round-trips exactly; headers are a JSON object of strings.
public struct Envelope: Equatable, Sendable {
    public var id: String
    public var payload: [UInt8]
    public var headers: [String: String]
    public var priority: Priority
    public var attempts: Int64
    public var maxAttempts: Int64
    /// Epoch milliseconds.
    public var enqueuedAt: Int64
    /// When the message became (or becomes) due: enqueue time, delay
    /// target or retry time.
    public var runAt: Int64
    public var state: MessageState
    public var lastError: String?
    public var failedAt: Int64?
    public var worker: String?

    public init(id: String, payload: [UInt8], headers: [String: String] = [:], priority: Priority = .normal,
                attempts: Int64 = 0, maxAttempts: Int64, enqueuedAt: Int64, runAt: Int64, state: MessageState,
                lastError: String? = nil, failedAt: Int64? = nil, worker: String? = nil) {
        self.id = id
        self.payload = payload
        self.headers = headers
        self.priority = priority
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.enqueuedAt = enqueuedAt
        self.runAt = runAt
        self.state = state
        self.lastError = lastError
        self.failedAt = failedAt
        self.worker = worker
    }

    /// Reads an envelope from HGETALL's field/value pairs. `key` names the
    /// hash in errors.
    public init(id: String, key: String, fields: [String: [UInt8]]) throws {
        func text(_ name: String) -> String? { fields[name].map { String(decoding: $0, as: UTF8.self) } }
        func required(_ name: String) throws -> String {
            guard let value = text(name) else { throw MQError.corruptEnvelope(key: key, reason: "field '\(name)' is missing") }
            return value
        }
        func number(_ name: String) throws -> Int64 {
            let value = try required(name)
            guard let number = Int64(value) else {
                throw MQError.corruptEnvelope(key: key, reason: "field '\(name)' is not an integer")
            }
            return number
        }
        guard let payload = fields["payload"] else { throw MQError.corruptEnvelope(key: key, reason: "field 'payload' is missing") }
        guard let priority = Priority(rawValue: try required("priority")) else {
            throw MQError.corruptEnvelope(key: key, reason: "field 'priority' is not express, urgent or normal")
        }
        guard let state = MessageState(rawValue: try required("state")) else {
            throw MQError.corruptEnvelope(key: key, reason: "field 'state' is not a known state")
        }
        self.init(
            id: id, payload: payload, headers: try Self.decodeHeaders(text("headers") ?? "{}", key: key),
            priority: priority, attempts: try number("attempts"), maxAttempts: try number("max_attempts"),
            enqueuedAt: try number("enqueued_at"), runAt: try number("run_at"), state: state,
            lastError: text("last_error"), failedAt: fields["failed_at"] != nil ? try number("failed_at") : nil,
            worker: text("worker"))
    }

    /// The hash fields, for HSET; optional fields only when set.
    public var fields: [(String, [UInt8])] {
        var fields: [(String, [UInt8])] = [
            ("payload", payload), ("headers", Array(Self.encodeHeaders(headers).utf8)),
            ("priority", Array(priority.rawValue.utf8)), ("attempts", Array(String(attempts).utf8)),
            ("max_attempts", Array(String(maxAttempts).utf8)), ("enqueued_at", Array(String(enqueuedAt).utf8)),
            ("run_at", Array(String(runAt).utf8)), ("state", Array(state.rawValue.utf8)),
        ]
        if let lastError { fields.append(("last_error", Array(lastError.utf8))) }
        if let failedAt { fields.append(("failed_at", Array(String(failedAt).utf8))) }
        if let worker { fields.append(("worker", Array(worker.utf8))) }
        return fields
    }

    /// Headers as a compact JSON object with sorted keys.
    /// The most bytes a message's headers take as JSON. They reach an exec
    /// handler as MQ_HEADERS, and Linux refuses an environment entry over
    /// 128 KiB (E2BIG): such a message could never run. Half of that leaves
    /// room for the rest of the environment and the arguments.
    public static let maximumHeadersSize = 65_536

    /// Throws when `headers` are too large for a handler to receive.
    public static func checkHeadersSize(_ headers: [String: String]) throws {
        let size = encodeHeaders(headers).utf8.count
        guard size <= maximumHeadersSize else {
            throw MQError.headersTooLarge(size: size, maximum: maximumHeadersSize)
        }
    }

    public static func encodeHeaders(_ headers: [String: String]) -> String {
        JSONText.object(headers)
    }

    static func decodeHeaders(_ text: String, key: String) throws -> [String: String] {
        guard let headers = try? JSONMember(name: "headers", value: JSONReader.value(Array(text.utf8))).stringObject() else {
            throw MQError.corruptEnvelope(key: key, reason: "field 'headers' is not a JSON object of strings")
        }
        return headers
    }
}
