import FoundationEssentials
import Glibc
import MQRedis

/// Why a Redis URL was refused; each case names what to fix.
public struct RedisURLError: Error, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Parses the URLs mqctl accepts for `--url`:
///
/// - `redis://[user[:password]@]host[:port][/db]` (port 6379, db 0 by default;
///   IPv6 hosts in brackets)
/// - `unix://[user[:password]@]/path/to.sock[?db=N]`
///
/// - `redis-sentinel://[user[:password]@]host[:port][,host[:port]...]/MASTER[/db]`:
///   the master the sentinels name (port 26379 by default)
/// - `rediss://...`: as redis://, over TLS (certificate and host name
///   checked against the system's CAs unless options say otherwise)
///
/// User and password are percent-decoded. Error messages never repeat the
/// password.
public enum RedisURL {
    public static func parse(_ text: String, timeout: Double = 5) throws -> RedisConfiguration {
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw RedisURLError("invalid Redis URL: expected redis://host[:port][/db] or unix:///path/to.sock")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        var rest = Substring(text[schemeEnd.upperBound...])

        switch scheme {
        case "redis", "rediss", "unix", "redis-sentinel": break
        default: throw RedisURLError("unsupported URL scheme '\(scheme)://': use redis://, rediss://, redis-sentinel:// or unix://")
        }

        // Credentials end at the last '@' before the path: a password may
        // itself contain '@' when it is not percent-encoded.
        var username: String?
        var password: String?
        let authorityEnd = scheme == "unix" ? (rest.firstIndex(of: "/") ?? rest.endIndex) : rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                username = try decode(userInfo[..<colon], part: "user name")
                password = try decode(userInfo[userInfo.index(after: colon)...], part: "password")
            } else {
                // A lone user-info is the user name, as most client libraries
                // read it (redis-cli reads a password): `redis://:pw@host` gives
                // a password alone.
                username = try decode(userInfo, part: "user name")
            }
            if username?.isEmpty == true { username = nil }
        }

        var configuration = RedisConfiguration(username: username, password: password, timeout: timeout)
        switch scheme {
        case "unix": try parseUnix(rest, into: &configuration)
        case "redis-sentinel": try parseSentinel(rest, into: &configuration)
        default: try parseTCP(rest, into: &configuration)
        }
        if scheme == "rediss" { configuration.tls = TLSOptions() }
        return configuration
    }

    private static func parseTCP(_ text: Substring, into configuration: inout RedisConfiguration) throws {
        guard !text.contains("?") else {
            throw RedisURLError("invalid Redis URL: query parameters are not supported in redis:// URLs")
        }
        let slash = text.firstIndex(of: "/") ?? text.endIndex
        configuration.endpoint = try endpoint(text[..<slash], defaultPort: 6379)

        let path = text[slash...].drop { $0 == "/" }
        if !path.isEmpty {
            configuration.database = try database(path)
        }
    }

    /// `host[:port]` or `[v6]:port`.
    private static func endpoint(_ hostPort: Substring, defaultPort: Int) throws -> RedisEndpoint {
        let host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw RedisURLError("invalid Redis URL: IPv6 address is missing its closing ']'")
            }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw RedisURLError("invalid Redis URL: expected ':port' after the IPv6 address")
                }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty else { throw RedisURLError("invalid Redis URL: the host is missing") }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw RedisURLError("invalid Redis URL: port '\(portText)' is not a number from 1 to 65535")
            }
            port = value
        }
        return .tcp(host: String(host), port: port)
    }

    /// `host:port[,host:port...]/MASTER[/db]`: the sentinels to ask, and
    /// the name of the master they watch.
    private static func parseSentinel(_ text: Substring, into configuration: inout RedisConfiguration) throws {
        let slash = text.firstIndex(of: "/") ?? text.endIndex
        let sentinels = try text[..<slash].split(separator: ",", omittingEmptySubsequences: false)
            .map { try endpoint($0, defaultPort: 26379) }
        let path = text[slash...].dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard let master = path.first, !master.isEmpty, path.count <= 2 else {
            throw RedisURLError("invalid redis-sentinel:// URL: expected redis-sentinel://host:26379[,host:26379...]/MASTER[/db]")
        }
        if path.count == 2 { configuration.database = try database(path[1]) }
        configuration.sentinel = SentinelSettings(sentinels: sentinels, masterName: try decode(master, part: "master name"))
        configuration.endpoint = sentinels[0]
    }

    private static func parseUnix(_ text: Substring, into configuration: inout RedisConfiguration) throws {
        let question = text.firstIndex(of: "?") ?? text.endIndex
        let path = try decode(text[..<question], part: "socket path")
        guard path.hasPrefix("/") else {
            throw RedisURLError("invalid unix:// URL: the socket path must be absolute, e.g. unix:///run/redis.sock")
        }
        configuration.endpoint = .unix(path: path)
        for parameter in text[question...].dropFirst().split(separator: "&") {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0] == "db" else {
                throw RedisURLError("invalid unix:// URL: unknown parameter '\(pair[0].isEmpty ? parameter : pair[0])' (only db=N is supported)")
            }
            configuration.database = try database(pair[1])
        }
    }

    private static func database(_ text: Substring) throws -> Int {
        guard let db = Int(text), db >= 0, !text.hasPrefix("+") else {
            throw RedisURLError("invalid Redis URL: database '\(text)' is not a number 0 or above")
        }
        return db
    }

    private static func decode(_ text: Substring, part: String) throws -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                // Name the part, never echo it: it may be a password.
                throw RedisURLError("invalid Redis URL: bad percent-encoding in the \(part)")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw RedisURLError("invalid Redis URL: the \(part) is not valid UTF-8 once decoded")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
