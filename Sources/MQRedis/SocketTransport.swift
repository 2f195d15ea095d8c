import Glibc

/// Moves bytes to and from a server. hiredis encodes and decodes RESP above
/// this, so the TLS transport sits beside this one with no second protocol
/// path.
public protocol RedisTransport: AnyObject {
    /// Writes all of `bytes` or throws.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Reads what is available (at least one byte) into `buffer`; throws
    /// `connectionClosed` at end of stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    func close()
    /// Seconds each write or read may take.
    var timeout: Double { get set }
}

/// A blocking TCP or Unix-domain socket with a timeout on every operation,
/// enforced with poll(2).
public final class SocketTransport: RedisTransport {
    private var fd: Int32
    private let endpoint: RedisEndpoint
    public var timeout: Double

    /// Connects to `endpoint`, giving up after `timeout` seconds.
    /// TCP connections get TCP_NODELAY and keepalive probes so a dead peer
    /// is noticed by long-running callers.
    public init(endpoint: RedisEndpoint, timeout: Double) throws {
        self.endpoint = endpoint
        self.timeout = timeout
        switch endpoint {
        case .tcp(let host, let port):
            fd = try Self.connectTCP(host: host, port: port, timeout: timeout, endpoint: endpoint)
        case .unix(let path):
            fd = try Self.connectUnix(path: path, timeout: timeout, endpoint: endpoint)
        }
    }

    deinit {
        close()
    }

    /// The socket, for a layer above (TLS) that drives it itself.
    var descriptor: Int32 { fd }

    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            try waitFor(Int16(POLLOUT), operation: "writing to")
            let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw errno == EPIPE || errno == ECONNRESET
                    ? RedisClientError.connectionClosed(endpoint: endpoint.description)
                    : RedisClientError.io(endpoint: endpoint.description, operation: "writing to", errno: errno)
            }
            offset += n
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            try waitFor(Int16(POLLIN), operation: "waiting for a reply from")
            let n = recv(fd, buffer.baseAddress!, buffer.count, 0)
            if n > 0 { return n }
            if n == 0 { throw RedisClientError.connectionClosed(endpoint: endpoint.description) }
            if errno == EINTR || errno == EAGAIN { continue }
            if errno == ECONNRESET { throw RedisClientError.connectionClosed(endpoint: endpoint.description) }
            throw RedisClientError.io(endpoint: endpoint.description, operation: "reading from", errno: errno)
        }
    }

    private func waitFor(_ events: Int16, operation: String) throws {
        guard fd >= 0 else { throw RedisClientError.connectionClosed(endpoint: endpoint.description) }
        try Self.poll(fd, events: events, timeout: timeout, endpoint: endpoint, operation: operation)
    }

    private static func poll(_ fd: Int32, events: Int16, timeout: Double, endpoint: RedisEndpoint, operation: String) throws {
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        let deadline = monotonicSeconds() + timeout
        while true {
            let remaining = max(0, deadline - monotonicSeconds())
            let rc = Glibc.poll(&pfd, 1, Int32((remaining * 1000).rounded(.up)))
            if rc > 0 { return }
            if rc == 0 {
                throw RedisClientError.timeout(endpoint: endpoint.description, operation: operation, seconds: timeout)
            }
            if errno != EINTR {
                throw RedisClientError.io(endpoint: endpoint.description, operation: operation, errno: errno)
            }
        }
    }

    private static func connectTCP(host: String, port: Int, timeout: Double, endpoint: RedisEndpoint) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw RedisClientError.unknownHost(host, reason: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }

        // Try each address in turn; report the last failure.
        var lastError: Error = RedisClientError.connectionRefused(endpoint: endpoint.description)
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            do {
                let fd = try connectSocket(
                    family: info.pointee.ai_family, address: info.pointee.ai_addr,
                    length: info.pointee.ai_addrlen, timeout: timeout, endpoint: endpoint)
                var on: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
                var idle: Int32 = 60
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, socklen_t(MemoryLayout<Int32>.size))
                return fd
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private static func connectUnix(path: String, timeout: Double, endpoint: RedisEndpoint) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            throw RedisClientError.io(endpoint: path, operation: "connecting to", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
        }
        return try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                try connectSocket(
                    family: AF_UNIX, address: sa, length: socklen_t(MemoryLayout<sockaddr_un>.size),
                    timeout: timeout, endpoint: endpoint)
            }
        }
    }

    /// A non-blocking connect bounded by poll, then back to blocking mode.
    private static func connectSocket(
        family: Int32, address: UnsafePointer<sockaddr>, length: socklen_t, timeout: Double, endpoint: RedisEndpoint
    ) throws -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw RedisClientError.io(endpoint: endpoint.description, operation: "connecting to", errno: errno)
        }
        do {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            if Glibc.connect(fd, address, length) != 0 {
                guard errno == EINPROGRESS || errno == EAGAIN else { throw connectError(errno, endpoint) }
                try poll(fd, events: Int16(POLLOUT), timeout: timeout, endpoint: endpoint, operation: "connecting to")
                var soError: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &size)
                if soError != 0 { throw connectError(soError, endpoint) }
            }
            _ = fcntl(fd, F_SETFL, flags)
            return fd
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    private static func connectError(_ code: Int32, _ endpoint: RedisEndpoint) -> RedisClientError {
        switch code {
        case ECONNREFUSED, ENOENT:
            return .connectionRefused(endpoint: endpoint.description)
        default:
            return .io(endpoint: endpoint.description, operation: "connecting to", errno: code)
        }
    }
}

/// Seconds on a clock that never jumps, for timeouts and latency.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
