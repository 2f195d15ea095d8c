/// Where a Redis server listens.
public enum RedisEndpoint: Hashable, Sendable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    /// `host:port` (IPv6 hosts in brackets) or the socket path.
    public var description: String {
        switch self {
        case .tcp(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path):
            return path
        }
    }
}

/// Everything needed to open a connection. `description` never shows the
/// password.
public struct RedisConfiguration: Equatable, Sendable, CustomStringConvertible {
    public var endpoint: RedisEndpoint
    public var username: String?
    public var password: String?
    public var database: Int
    /// Limit for connecting, and for each write and read after that.
    public var timeout: Double
    /// Sent with CLIENT SETNAME so operators can see us in CLIENT LIST.
    public var clientName: String?
    /// TLS over the TCP connection (`rediss://`, `--tls`); nil for plaintext.
    public var tls: TLSOptions?
    /// Ask these sentinels for the master at each connect, instead of
    /// connecting to `endpoint` (`redis-sentinel://`).
    public var sentinel: SentinelSettings?

    public init(
        endpoint: RedisEndpoint = .tcp(host: "127.0.0.1", port: 6379),
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        timeout: Double = 5,
        clientName: String? = "mqctl"
    ) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.timeout = timeout
        self.clientName = clientName
    }

    /// The target as a URL without the password, e.g. `redis://app@10.0.0.5:6379/2`.
    public var description: String {
        let user = username.map { "\($0)@" } ?? ""
        if let sentinel {
            let hosts = sentinel.sentinels.map(\.description).joined(separator: ",")
            return "redis-sentinel://\(user)\(hosts)/\(sentinel.masterName)/\(database)"
        }
        switch endpoint {
        case .tcp:
            return "\(tls == nil ? "redis" : "rediss")://\(user)\(endpoint)/\(database)"
        case .unix(let path):
            return "unix://\(user)\(path)?db=\(database)"
        }
    }
}

/// Where the sentinels are and which master to ask them for.
public struct SentinelSettings: Equatable, Sendable {
    public var sentinels: [RedisEndpoint]
    public var masterName: String

    public init(sentinels: [RedisEndpoint], masterName: String) {
        self.sentinels = sentinels
        self.masterName = masterName
    }
}
