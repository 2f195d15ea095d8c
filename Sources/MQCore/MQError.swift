import FoundationEssentials
import Glibc
import MQRedis

/// Outcomes of queue operations that callers must handle; scripts signal
/// them with explicit replies, mapped here.
public enum MQError: Error, Equatable, CustomStringConvertible {
    case invalidQueueName(String)
    case invalidMessageID(String)
    case invalidPriority(String)
    case invalidHeader(String)
    /// Headers too large to reach a handler (`Envelope.maximumHeadersSize`).
    case headersTooLarge(size: Int, maximum: Int)
    case invalidConfig(String)
    /// The queue holds `max_length` ready and delayed messages.
    case queueFull(queue: String, maxLength: Int64)
    case messageExists(queue: String, id: String)
    case messageNotFound(queue: String, id: String)
    case queueNotFound(String)
    case consumerNotFound(stream: String, group: String, consumer: String)
    /// A `--cursor` that mqctl did not print.
    case invalidCursor(String)
    /// A value out of range that is not a queue setting (a seq margin).
    case invalidValue(String)
    case queueNotEmpty(queue: String, messages: Int64)
    /// An envelope that cannot be read: missing fields or bad values.
    case corruptEnvelope(key: String, reason: String)
    /// A sequence counter's key holds something else than an integer.
    case notACounter(key: String, reason: String)
    /// A stream consumer still has pending entries.
    case consumerBusy(consumer: String, pending: Int64)
    /// Another run holds a cron lock; `holder` says who.
    case lockHeld(name: String, holder: String)
    /// A key holds another Redis type than the layout expects.
    case wrongKeyType(key: String, expected: String, actual: String)
    /// A queue setting in Redis that is not a whole number 0 or above.
    case corruptSetting(key: String, field: String, value: String)
    /// A command needs a role (delayed, retry, dead, ...) the layout lacks.
    case roleMissing(layout: String, role: String)
    /// What a layout cannot do, or input it cannot take (exit 64).
    case layoutRefused(String)
    /// A layout queue member that cannot be read as its layout says.
    case unreadableMember(key: String, reason: String)

    public var description: String {
        switch self {
        case .invalidQueueName(let name):
            return "invalid queue name '\(name)': use 1 to 128 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit"
        case .invalidMessageID(let id):
            return "invalid message id '\(id)': use 1 to 128 characters from A-Z a-z 0-9 . _ : @ -"
        case .invalidPriority(let text):
            return "invalid priority '\(text)': use express, urgent or normal"
        case .invalidHeader(let text):
            return "invalid header '\(text)': use KEY=VALUE"
        case .headersTooLarge(let size, let maximum):
            return "the headers take \(size) bytes as JSON; a handler receives at most \(maximum) (MQ_HEADERS), so the message could never run"
        case .invalidConfig(let text):
            return "invalid queue setting: \(text)"
        case .queueFull(let queue, let maxLength):
            return "queue '\(queue)' is full (max_length \(maxLength)); what did not fit was refused, not enqueued"
        case .messageExists(let queue, let id):
            return "message '\(id)' already exists in queue '\(queue)'; ids are never overwritten"
        case .messageNotFound(let queue, let id):
            return "no message '\(id)' in queue '\(queue)'"
        case .consumerNotFound(let stream, let group, let consumer):
            return "no consumer '\(consumer)' in group '\(group)' of '\(stream)'"
        case .invalidValue(let text):
            return text
        case .invalidCursor(let text):
            return "cursor '\(text)' is not one mqctl printed (SCORE:ID); give the next_cursor of the previous page"
        case .queueNotFound(let queue):
            return "no queue '\(queue)'"
        case .queueNotEmpty(let queue, let messages):
            return "queue '\(queue)' still holds \(messages) messages; use --force to delete them too"
        case .corruptEnvelope(let key, let reason):
            return "corrupt envelope at \(key): \(reason)"
        case .notACounter(let key, let reason):
            return "'\(key)' is not a counter: \(reason)"
        case .consumerBusy(let consumer, let pending):
            return "consumer '\(consumer)' still has \(pending) pending entries; hand them to another consumer with --claim-to CONSUMER, or drop them from the group with --force"
        case .lockHeld(let name, let holder):
            return "another run holds the lock '\(name)': \(holder)"
        case .wrongKeyType(let key, let expected, let actual):
            return "key \(key) is a \(actual), expected a \(expected)"
        case .corruptSetting(let key, let field, let value):
            return "queue setting \(key) field \(field) is '\(value)', not a whole number 0 or above; fix it with `mqctl queues config` or HSET"
        case .roleMissing(let layout, let role):
            return "layout '\(layout)' has no \(role) role, so this command cannot serve its queues; declare one in the config file"
        case .layoutRefused(let reason):
            return reason
        case .unreadableMember(let key, let reason):
            return "a member of \(key) cannot be read: \(reason)"
        }
    }
}

extension MQError {
    /// The refusals the scripts' own checks raise before any write
    /// (`QueueScripts.checks`): a key of the wrong type, a corrupt setting.
    /// Nil for any other error.
    public init?(scriptRefusal error: RedisServerError) {
        // Redis appends " script: SHA, on @user_script:N." to raised errors.
        let message = error.message.firstRange(of: " script: ").map { String(error.message[..<$0.lowerBound]) } ?? error.message
        let words = message.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if words.count >= 8, words[0] == "WRONGTYPE", words[1] == "key", let comma = message.firstRange(of: ", expected a ") {
            // WRONGTYPE key K is a T, expected a E
            let head = message[..<comma.lowerBound]
            guard let isA = head.ranges(of: " is a ").last else { return nil }
            let key = String(head[head.index(head.startIndex, offsetBy: "WRONGTYPE key ".count)..<isA.lowerBound])
            self = .wrongKeyType(key: key, expected: String(message[comma.upperBound...]), actual: String(head[isA.upperBound...]))
        } else if words.count >= 6, words[0] == "BADSETTING", words[1] == "key",
                  let fieldWord = message.firstRange(of: " field "), let isQuote = message.firstRange(of: " is '"),
                  let end = message.ranges(of: "', not a whole number").last {
            // BADSETTING key K field F is 'V', not a whole number 0 or above
            let key = String(message[message.index(message.startIndex, offsetBy: "BADSETTING key ".count)..<fieldWord.lowerBound])
            self = .corruptSetting(key: key, field: String(message[fieldWord.upperBound..<isQuote.lowerBound]),
                                   value: String(message[isQuote.upperBound..<end.lowerBound]))
        } else {
            return nil
        }
    }
}
