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

    /// Connects, authenticates, selects the database and names the client.
    public init(configuration: RedisConfiguration) throws {
        self.configuration = configuration
        try open()
    }

    public var isConnected: Bool { transport != nil }

    public func close() {
        transport?.close()
        transport = nil
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
            try handshake()
            if let sentinel = configuration.sentinel { try checkIsMaster(sentinel, endpoint: endpoint) }
        } catch {
            close()
            throw error
        }
    }

    /// AUTH, SELECT and CLIENT SETNAME in one round trip.
    private func handshake() throws {
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            commands.append(configuration.username.map { RedisCommand("AUTH", $0, password) }
                ?? RedisCommand("AUTH", password))
        }
        if configuration.database != 0 {
            commands.append(RedisCommand("SELECT", configuration.database))
        }
        if let name = configuration.clientName {
            commands.append(RedisCommand("CLIENT", "SETNAME", name))
        }
        guard !commands.isEmpty else { return }
        let replies = try pipeline(commands)
        // A least-privilege ACL user may not run CLIENT SETNAME; that is no
        // reason to refuse the connection.
        let required = configuration.clientName == nil ? replies : replies.dropLast()
        for reply in required {
            try reply.throwingError()
        }
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
        let usual = transport?.timeout ?? configuration.timeout
        transport?.timeout = timeout
        defer { transport?.timeout = usual }
        return try send(command)
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
            while true {
                if let reply = try reader.next() { return reply }
                let count = try readBuffer.withUnsafeMutableBytes { try transport.read(into: $0) }
                try readBuffer.withUnsafeBytes { try reader.feed(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
        } catch RedisClientError.timeout {
            return nil
        } catch {
            close()
            throw error
        }
    }

    /// Writes every command, then reads every reply: one round trip
    /// whatever the count. Error replies stay in the array as `.error`, one
    /// per failed command, so callers see which ones failed.
    public func pipeline(_ commands: [RedisCommand]) throws -> [RedisReply] {
        guard let transport else {
            throw RedisClientError.connectionClosed(endpoint: configuration.endpoint.description)
        }
        do {
            writeBuffer.removeAll(keepingCapacity: true)
            for command in commands {
                RESPEncoder.append(command, to: &writeBuffer)
            }
            try writeBuffer.withUnsafeBytes { try transport.write($0) }
            roundTrips += 1

            var replies: [RedisReply] = []
            replies.reserveCapacity(commands.count)
            while replies.count < commands.count {
                if let reply = try reader.next() {
                    replies.append(reply.namingKeys(of: commands[replies.count]))
                    continue
                }
                let count = try readBuffer.withUnsafeMutableBytes { try transport.read(into: $0) }
                try readBuffer.withUnsafeBytes { try reader.feed(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
            try checkNotDemoted(replies)
            return replies
        } catch {
            // Half-read replies would be taken for the next command's.
            close()
            throw error
        }
    }
}
