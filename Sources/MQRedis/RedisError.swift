import Glibc

/// An error reply from the server. The message is kept whole; `kind` is the
/// first word, recognised for the prefixes callers act on.
public struct RedisServerError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case wrongType = "WRONGTYPE"
        case noScript = "NOSCRIPT"
        case busy = "BUSY"
        case loading = "LOADING"
        case noAuth = "NOAUTH"
        case wrongPass = "WRONGPASS"
        case noPerm = "NOPERM"
        case moved = "MOVED"
        case ask = "ASK"
        case readOnly = "READONLY"
        case tryAgain = "TRYAGAIN"
        case clusterDown = "CLUSTERDOWN"
        case generic = "ERR"
        case other
    }

    public let message: String
    /// For WRONGTYPE: the keys the failing command named (its first
    /// argument, or a script's KEYS), so the caller can say which one.
    public internal(set) var keys: [String] = []

    public init(message: String) {
        self.message = message
    }

    public var kind: Kind {
        let prefix = message.prefix { $0 != " " }
        return Kind(rawValue: String(prefix)) ?? .other
    }

    /// True for the authentication and permission refusals (NOAUTH,
    /// WRONGPASS, NOPERM, and a plain AUTH failure on servers before 6.0).
    public var isPermissionError: Bool {
        switch kind {
        case .noAuth, .wrongPass, .noPerm: return true
        default: return message.hasPrefix("ERR invalid password") || message.hasPrefix("ERR AUTH")
        }
    }

    /// True when the server is temporarily unable to serve (BUSY script,
    /// LOADING dataset, TRYAGAIN, CLUSTERDOWN): retrying later may work.
    public var isTemporary: Bool {
        [.busy, .loading, .tryAgain, .clusterDown].contains(kind)
    }

    public var description: String { message }
}

/// What went wrong on our side of the connection.
public enum RedisClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing listens at the address (ECONNREFUSED, or no such socket file).
    case connectionRefused(endpoint: String)
    /// The host name did not resolve.
    case unknownHost(String, reason: String)
    /// Connecting, writing or waiting for a reply took longer than allowed.
    case timeout(endpoint: String, operation: String, seconds: Double)
    /// The server closed the connection, or it was closed by us.
    case connectionClosed(endpoint: String)
    /// A socket call failed with errno.
    case io(endpoint: String, operation: String, errno: Int32)
    /// The TLS handshake or a TLS read or write failed (a refused
    /// certificate, a server not speaking TLS, a missing client certificate).
    case tls(endpoint: String, reason: String)
    /// No sentinel named a master that answers as one (or the master
    /// became a replica under us: a failover).
    case noMaster(name: String, reason: String)
    /// The server sent bytes that are not RESP.
    case protocolError(String)
    /// A reply of a different shape than the caller expected.
    case unexpectedReply(expected: String, got: RedisReply)

    public var description: String {
        switch self {
        case .connectionRefused(let endpoint):
            return "could not connect to Redis at \(endpoint): connection refused"
        case .unknownHost(let host, let reason):
            return "could not resolve host \(host): \(reason)"
        case .timeout(let endpoint, let operation, let seconds):
            return "timed out after \(Self.format(seconds)) \(operation) Redis at \(endpoint)"
        case .connectionClosed(let endpoint):
            return "the connection to Redis at \(endpoint) was closed"
        case .io(let endpoint, let operation, let errno):
            return "\(operation) Redis at \(endpoint) failed: \(String(cString: strerror(errno)))"
        case .tls(let endpoint, let reason):
            return "TLS to Redis at \(endpoint) failed: \(reason)"
        case .noMaster(let name, let reason):
            return "no master for '\(name)': \(reason)"
        case .protocolError(let detail):
            return "Redis protocol error: \(detail)"
        case .unexpectedReply(let expected, let got):
            return "unexpected reply from Redis: expected \(expected), got \(got)"
        }
    }

    /// Bytes that are not RESP where a reply should start: the server on
    /// that port is not Redis (an HTTP server answers "HTTP/1.0 ..." or "<").
    public var isNotRedis: Bool {
        if case .protocolError(let detail) = self { return detail.hasPrefix("Protocol error, got") }
        return false
    }

    /// True when the server could not be reached or the link broke, so a
    /// reconnect may help.
    public var isConnectionError: Bool {
        switch self {
        case .connectionRefused, .unknownHost, .timeout, .connectionClosed, .io, .tls, .noMaster: return true
        case .protocolError, .unexpectedReply: return false
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds < 1 ? "\(Int((seconds * 1000).rounded()))ms"
            : seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}

