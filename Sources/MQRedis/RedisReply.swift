/// One reply from the server, copied out of hiredis at once.
///
/// A temporary form: callers convert it to the Swift type they expect with
/// the accessors below, which throw `RedisClientError.unexpectedReply` on a
/// shape they did not expect. Server errors never reach this type as values:
/// the connection throws them as `RedisServerError`, except inside pipelines
/// and transactions, where each reply stands on its own.
public enum RedisReply: Equatable, Sendable {
    case status(String)
    case error(RedisServerError)
    case integer(Int64)
    case bulk([UInt8])
    case array([RedisReply])
    case null

    /// Throws the server error this reply carries, if it is one.
    @discardableResult
    public func throwingError() throws -> RedisReply {
        if case .error(let error) = self { throw error }
        return self
    }

    public var isNull: Bool { self == .null }

    /// The reply as text: a bulk string decoded as UTF-8 (invalid bytes
    /// replaced), a status, or an integer's digits.
    public func string() throws -> String {
        switch try throwingError() {
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text): return text
        case .integer(let value): return String(value)
        default: throw RedisClientError.unexpectedReply(expected: "a string", got: self)
        }
    }

    /// The reply as text, or nil for a null reply.
    public func optionalString() throws -> String? {
        isNull ? nil : try string()
    }

    public func optionalBytes() throws -> [UInt8]? {
        isNull ? nil : try bytes()
    }

    public func bytes() throws -> [UInt8] {
        switch try throwingError() {
        case .bulk(let bytes): return bytes
        case .status(let text): return Array(text.utf8)
        default: throw RedisClientError.unexpectedReply(expected: "a bulk string", got: self)
        }
    }

    /// The reply as an integer: an integer reply, or a bulk string of digits
    /// (what GET returns for an INCR counter).
    public func int() throws -> Int64 {
        switch try throwingError() {
        case .integer(let value): return value
        case .bulk(let bytes):
            if let value = Int64(String(decoding: bytes, as: UTF8.self)) { return value }
        default: break
        }
        throw RedisClientError.unexpectedReply(expected: "an integer", got: self)
    }

    public func array() throws -> [RedisReply] {
        switch try throwingError() {
        case .array(let items): return items
        default: throw RedisClientError.unexpectedReply(expected: "an array", got: self)
        }
    }
}

extension RedisReply: CustomStringConvertible {
    /// A short form for error messages; long bulk strings are cut.
    public var description: String {
        switch self {
        case .status(let text): return "status \(text)"
        case .error(let error): return "error \(error.message)"
        case .integer(let value): return "integer \(value)"
        case .bulk(let bytes):
            let text = String(decoding: bytes.prefix(40), as: UTF8.self)
            return "bulk \"\(text)\(bytes.count > 40 ? "…" : "")\""
        case .array(let items): return "array of \(items.count)"
        case .null: return "null"
        }
    }
}

extension RedisReply {
    /// A WRONGTYPE error learns which keys its command named; other replies
    /// pass through untouched.
    func namingKeys(of command: RedisCommand) -> RedisReply {
        guard case .error(var error) = self, error.kind == .wrongType else { return self }
        let arguments = command.arguments.map { String(decoding: $0, as: UTF8.self) }
        switch command.name {
        case "EVALSHA", "EVAL", "EVALSHA_RO", "EVAL_RO", "FCALL":
            let count = arguments.count > 2 ? Int(arguments[2]) ?? 0 : 0
            error.keys = Array(arguments.dropFirst(3).prefix(count))
        default:
            error.keys = Array(arguments.dropFirst().prefix(1))
        }
        return .error(error)
    }
}
