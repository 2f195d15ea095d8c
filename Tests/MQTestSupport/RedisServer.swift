import Foundation
import MQRedis

/// A real `redis-server` for tests: started on a free loopback port in a
/// temporary folder, stopped by pid when the test is done (and at process
/// exit, whatever happens to the test). Persistence is off unless asked for.
public final class RedisServer {
    public struct Options {
        /// `requirepass`: the default user's password.
        public var password: String?
        /// An extra ACL user with every permission, or with `permissions`.
        public var aclUser: (name: String, password: String, permissions: String)?
        public var unixSocket = false
        public var appendOnly = false
        /// A TLS port beside the plaintext one, with these certificates;
        /// `clientCertificates` makes it ask for a client certificate.
        public var tls: TestCertificates?
        public var clientCertificates = false
        /// Start as a replica of the server on this port.
        public var replicaOf: Int?
        /// Start as a sentinel watching `master` on `port` (quorum 1,
        /// down after 1 s).
        public var sentinel: (master: String, port: Int)?
        /// Cluster mode on (`RedisCluster` joins the nodes).
        public var cluster = false

        public init(password: String? = nil, aclUser: (name: String, password: String, permissions: String)? = nil,
                    unixSocket: Bool = false, appendOnly: Bool = false, tls: TestCertificates? = nil,
                    clientCertificates: Bool = false, replicaOf: Int? = nil, sentinel: (master: String, port: Int)? = nil) {
            self.password = password
            self.aclUser = aclUser
            self.unixSocket = unixSocket
            self.appendOnly = appendOnly
            self.tls = tls
            self.clientCertificates = clientCertificates
            self.replicaOf = replicaOf
            self.sentinel = sentinel
        }
    }

    public let options: Options
    public let port: Int
    /// The TLS port when `options.tls` is set, else 0.
    public let tlsPort: Int
    /// The cluster bus port in cluster mode (by default it would be
    /// port + 10000, which may not exist), else 0.
    public let busPort: Int
    public let directory: URL
    /// The running server's pid, 0 when stopped.
    public private(set) var pid: pid_t = 0

    /// The server most tests share; flush it in `setUp`.
    public static let shared: Result<RedisServer, Error> = Result { try RedisServer() }

    public init(_ options: Options = Options()) throws {
        self.options = options
        self.port = try Self.freePort()
        self.tlsPort = options.tls == nil ? 0 : try Self.freePort()
        self.busPort = options.cluster ? try Self.freePort() : 0
        self.directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mqctl-redis-\(getpid())-\(port)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    public var socketPath: String { directory.appendingPathComponent("redis.sock").path }

    /// `redis://127.0.0.1:PORT/0`, with no credentials.
    public var url: String { "redis://127.0.0.1:\(port)/0" }

    /// A configuration for this server; the admin password when it has one.
    public func configuration(password: String? = nil, database: Int = 0, timeout: Double = 5) -> RedisConfiguration {
        RedisConfiguration(
            endpoint: .tcp(host: "127.0.0.1", port: port), password: password ?? options.password,
            database: database, timeout: timeout)
    }

    public func connect() throws -> RedisConnection {
        try RedisConnection(configuration: configuration())
    }

    public func flushAll() throws {
        try connect().send("FLUSHALL")
        try connect().send("SCRIPT", "FLUSH")
    }

    /// Starts the server again on the same port, after `stop()`.
    public func start() throws {
        guard let executable = Self.findExecutable("redis-server") else {
            throw FixtureError("redis-server is not installed: run Scripts/bootstrap (it installs redis-server and redis-tools)")
        }
        let config = directory.appendingPathComponent("redis.conf")
        try configText().write(to: config, atomically: true, encoding: .utf8)
        pid = try Self.spawn(executable, arguments: [config.path] + (options.sentinel == nil ? [] : ["--sentinel"]))
        Self.register(pid)
        try waitUntilReady()
    }

    /// Stops the server: SIGTERM, then SIGKILL if it lingers; reaps it.
    public func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(5_000)
        }
        Self.unregister(pid)
        pid = 0
    }

    /// posix_spawn rather than Foundation's Process, so that stopping is a
    /// plain waitpid. The child gets an empty signal mask: a Dispatch thread
    /// blocks every signal, and a server started from one would ignore SIGTERM.
    private static func spawn(_ executable: String, arguments: [String]) throws -> pid_t {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, nil, &attributes, argv, environ)
        guard rc == 0 else { throw FixtureError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Pauses (SIGSTOP) or resumes (SIGCONT) the server process.
    public func signal(_ signal: Int32) {
        if pid > 0 { kill(pid, signal) }
    }

    private func configText() -> String {
        if let sentinel = options.sentinel {
            return [
                "port \(port)", "bind 127.0.0.1", "dir \(directory.path)", "logfile redis.log", "daemonize no",
                "sentinel monitor \(sentinel.master) 127.0.0.1 \(sentinel.port) 1",
                "sentinel down-after-milliseconds \(sentinel.master) 1000",
                "sentinel failover-timeout \(sentinel.master) 5000",
            ].joined(separator: "\n") + "\n"
        }
        var lines = [
            "port \(port)", "bind 127.0.0.1", "dir \(directory.path)", "save \"\"",
            "appendonly \(options.appendOnly ? "yes" : "no")", "logfile redis.log", "daemonize no",
        ]
        if let password = options.password { lines.append("requirepass \(password)") }
        if let master = options.replicaOf { lines.append("replicaof 127.0.0.1 \(master)") }
        if options.cluster {
            lines += ["cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 5000", "cluster-port \(busPort)"]
        }
        if let user = options.aclUser {
            lines.append("user \(user.name) on >\(user.password) \(user.permissions)")
        }
        if options.unixSocket {
            lines += ["unixsocket \(socketPath)", "unixsocketperm 700"]
        }
        if let tls = options.tls {
            lines += [
                "tls-port \(tlsPort)", "tls-cert-file \(tls.path("server.crt"))", "tls-key-file \(tls.path("server.key"))",
                "tls-ca-cert-file \(tls.path("ca.crt"))", "tls-auth-clients \(options.clientCertificates ? "yes" : "no")",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func waitUntilReady() throws {
        let deadline = Date().addingTimeInterval(10)
        var lastError: Error?
        while Date() < deadline {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == 0 else { break }
            do {
                let reply = try RedisConnection(configuration: configuration(timeout: 1)).send("PING")
                if reply == .status("PONG") { return }
            } catch {
                lastError = error
            }
            usleep(20_000)
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
        throw FixtureError("redis-server on port \(port) did not answer PING (\(lastError.map { "\($0)" } ?? "exited")); log:\n\(log.suffix(2000))")
    }

    /// A port the kernel just handed out, released for the server to take.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Bool in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard bound else { throw FixtureError("cannot find a free port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    // Servers still running when the test process exits are killed then.
    private static let lock = NSLock()
    nonisolated(unsafe) private static var running: Set<Int32> = []
    nonisolated(unsafe) private static var exitHookInstalled = false

    private static func register(_ pid: Int32) {
        lock.lock()
        defer { lock.unlock() }
        running.insert(pid)
        if !exitHookInstalled {
            exitHookInstalled = true
            atexit {
                for pid in RedisServer.running { kill(pid, SIGKILL) }
            }
        }
    }

    private static func unregister(_ pid: Int32) {
        lock.lock()
        defer { lock.unlock() }
        running.remove(pid)
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
