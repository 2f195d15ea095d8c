/// One synchronous connection to a Redis server.
///
/// Calls block the calling thread until the reply arrives or the
/// configured timeout passes, so long-running callers use it from a thread
/// of their own, never from the Swift concurrency pool. After any
/// connection error the socket is closed: the next call throws
/// `connectionClosed` until `reconnect()` (or `withReconnect`) opens a new one.
public final class RedisConnection {
    public let configuration: RedisConfiguration
    private var transport: RedisTransport?
    private var reader = RESPReader()
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var writeBuffer: [UInt8] = []
    /// Write-then-read exchanges with the server since the connection was
    /// made (the handshake included): what "constant round trips" is
    /// measured in.
    public private(set) var roundTrips = 0
    /// Commands written to this connection's own socket since it was
    /// made: what "a bounded number of commands" is measured in.
    public private(set) var commandsSent = 0
    /// Set when the server is part of a Redis Cluster: commands are then
    /// routed by slot to the masters.
    private var cluster: ClusterRouter?
    private let discoverCluster: Bool
    /// Commands `submit` wrote whose replies `nextReply` has not read yet,
    /// oldest first; on a cluster, the replies themselves.
    private var owed: [RedisCommand] = []
    private var owedReplies: [RedisReply] = []

    /// Connects, authenticates, selects the database and names the client;
    /// finds out whether the server is a cluster node.
    public convenience init(configuration: RedisConfiguration) throws {
        try self.init(configuration: configuration, discoverCluster: true)
    }

    init(configuration: RedisConfiguration, discoverCluster: Bool) throws {
        self.configuration = configuration
        self.discoverCluster = discoverCluster
        try open()
    }

    public var isConnected: Bool { transport != nil }
    public var isCluster: Bool { cluster != nil }

    public func close() {
        owed = []
        owedReplies = []
        cluster?.close()
        cluster = nil
        transport?.close()
        transport = nil
    }

    /// The connections a command over the whole keyspace (SCAN) must visit:
    /// every master of a cluster, else this one.
    public func everyMaster() throws -> [RedisConnection] {
        try cluster?.masterConnections() ?? [self]
    }

    /// Drops the current socket, if any, and opens a new one.
    public func reconnect() throws {
        close()
        try open()
    }

    private func open() throws {
        let endpoint = try configuration.sentinel.map { try Self.askSentinels($0, configuration: configuration) }
            ?? configuration.endpoint
        if let tls = configuration.tls {
            transport = try TLSTransport(endpoint: endpoint, timeout: configuration.timeout, options: tls)
        } else {
            transport = try SocketTransport(endpoint: endpoint, timeout: configuration.timeout)
        }
        reader = RESPReader()
        do {
            let clusterEnabled = try handshake()
            if let sentinel = configuration.sentinel { try checkIsMaster(sentinel, endpoint: endpoint) }
            if clusterEnabled { cluster = try ClusterRouter(seed: self) }
        } catch {
            close()
            throw error
        }
    }

    /// AUTH, SELECT, CLIENT SETNAME and INFO cluster in one round trip;
    /// true when the server has cluster mode on.
    private func handshake() throws -> Bool {
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            commands.append(configuration.username.map { RedisCommand("AUTH", $0, password) }
                ?? RedisCommand("AUTH", password))
        }
        if configuration.database != 0 {
            commands.append(RedisCommand("SELECT", configuration.database))
        }
        let required = commands.count
        // A least-privilege ACL user may not run CLIENT SETNAME or INFO;
        // that is no reason to refuse the connection.
        if let name = configuration.clientName {
            commands.append(RedisCommand("CLIENT", "SETNAME", name))
        }
        if discoverCluster {
            commands.append(RedisCommand("INFO", "cluster"))
        }
        guard !commands.isEmpty else { return false }
        let replies = try exchange(commands)
        for reply in replies.prefix(required) {
            try reply.throwingError()
        }
        guard discoverCluster, let info = try? replies.last?.throwingError().string() else { return false }
        return info.contains("cluster_enabled:1")
    }

    /// Sends one command and returns its reply; an error reply is thrown as
    /// `RedisServerError`.
    @discardableResult
    public func send(_ command: RedisCommand) throws -> RedisReply {
        try pipeline([command])[0].throwingError()
    }

    /// Sends one command that may take longer than the configured timeout
    /// to answer (BLPOP, XREAD BLOCK), waiting up to `timeout` seconds.
    @discardableResult
    public func send(_ command: RedisCommand, timeout: Double) throws -> RedisReply {
        if let cluster { return try cluster.pipeline([command], timeout: timeout)[0].throwingError() }
        return try exchange([command], timeout: timeout)[0].throwingError()
    }

    @discardableResult
    public func send(_ arguments: any RedisArgument...) throws -> RedisReply {
        try send(RedisCommand(arguments))
    }

    /// Waits up to `timeout` seconds for a reply no command asked for: the
    /// messages of a SUBSCRIBE. Nil when none came in time (the connection
    /// stays open).
    public func receive(timeout: Double) throws -> RedisReply? {
        guard let transport else {
            throw RedisClientError.connectionClosed(endpoint: configuration.endpoint.description)
        }
        let usual = transport.timeout
        transport.timeout = timeout
        defer { transport.timeout = usual }
        do {
            return try readReply(transport)
        } catch RedisClientError.timeout {
            return nil
        } catch {
            close()
            throw error
        }
    }

    /// Writes every command, then reads every reply: one round trip
    /// whatever the count (one per node on a cluster). Error replies stay
    /// in the array as `.error`, one per failed command, so callers see
    /// which ones failed.
    public func pipeline(_ commands: [RedisCommand]) throws -> [RedisReply] {
        if let cluster { return try cluster.pipeline(commands) }
        return try exchange(commands)
    }

    /// Writes `command` without waiting for its reply, which `nextReply`
    /// reads later: a caller keeps a few calls in flight so that it builds
    /// the next while Redis runs this one. On a cluster the command is
    /// run at once and its reply kept.
    public func submit(_ command: RedisCommand) throws {
        if let cluster {
            owedReplies += try cluster.pipeline([command])
            return
        }
        guard let transport else {
            throw RedisClientError.connectionClosed(endpoint: configuration.endpoint.description)
        }
        do {
            writeBuffer.removeAll(keepingCapacity: true)
            RESPEncoder.append(command, to: &writeBuffer)
            try writeBuffer.withUnsafeBytes { try transport.write($0) }
            roundTrips += 1
            commandsSent += 1
            owed.append(command)
        } catch {
            close()
            throw error
        }
    }

    /// How many submitted commands have a reply still to be read.
    public var repliesOwed: Int { owed.count + owedReplies.count }

    /// The reply to the oldest submitted command not yet answered; an
    /// error reply is returned as `.error`, not thrown.
    public func nextReply() throws -> RedisReply {
        if !owedReplies.isEmpty { return owedReplies.removeFirst() }
        guard let transport, let command = owed.first else {
            throw RedisClientError.connectionClosed(endpoint: configuration.endpoint.description)
        }
        do {
            let reply = try readReply(transport)
            owed.removeFirst()
            try checkNotDemoted([reply])
            return reply.namingKeys(of: command)
        } catch {
            close()
            throw error
        }
    }

    /// The commands over this connection's own socket, with `timeout` for
    /// each read when given.
    func exchange(_ commands: [RedisCommand], timeout: Double? = nil) throws -> [RedisReply] {
        guard let transport else {
            throw RedisClientError.connectionClosed(endpoint: configuration.endpoint.description)
        }
        // A reply read here would be taken for another command's.
        precondition(owed.isEmpty, "a command was sent while submitted ones still owe replies")
        let usual = transport.timeout
        if let timeout { transport.timeout = timeout }
        defer { transport.timeout = usual }
        do {
            writeBuffer.removeAll(keepingCapacity: true)
            for command in commands {
                RESPEncoder.append(command, to: &writeBuffer)
            }
            try writeBuffer.withUnsafeBytes { try transport.write($0) }
            roundTrips += 1
            commandsSent += commands.count

            var replies: [RedisReply] = []
            replies.reserveCapacity(commands.count)
            while replies.count < commands.count {
                replies.append(try readReply(transport).namingKeys(of: commands[replies.count]))
            }
            try checkNotDemoted(replies)
            return replies
        } catch {
            // Half-read replies would be taken for the next command's.
            close()
            throw error
        }
    }

    /// The next whole reply, reading from the socket as long as it takes.
    private func readReply(_ transport: RedisTransport) throws -> RedisReply {
        while true {
            if let reply = try reader.next() { return reply }
            let count = try readBuffer.withUnsafeMutableBytes { try transport.read(into: $0) }
            try readBuffer.withUnsafeBytes { try reader.feed(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }
}
