/// Where a Redis server listens.
public enum RedisEndpoint: Equatable, Sendable, CustomStringConvertible {
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
        switch endpoint {
        case .tcp:
            return "redis://\(user)\(endpoint)/\(database)"
        case .unix(let path):
            return "unix://\(user)\(path)?db=\(database)"
        }
    }
}
