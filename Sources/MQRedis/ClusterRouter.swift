/// Redis Cluster: sends each command to the master that owns its key's
/// slot, following MOVED (the slot map changed: reload it) and ASK (a slot
/// being migrated: this one command goes to the target, after ASKING).
/// Commands with no key go to the node first connected to; SCRIPT and
/// FLUSH* go to every master.
final class ClusterRouter {
    /// The connection that discovered the cluster; keyless commands use it.
    unowned let seed: RedisConnection
    private var owners = [RedisEndpoint?](repeating: nil, count: ClusterSlot.count)
    private(set) var masters: [RedisEndpoint] = []
    private var nodes: [RedisEndpoint: RedisConnection] = [:]
    /// Redirections followed for one command before giving up.
    static let maximumRedirections = 5

    init(seed: RedisConnection) throws {
        self.seed = seed
        try loadSlots()
    }

    /// Reads the slot map (CLUSTER SLOTS) from the seed.
    func loadSlots() throws {
        let ranges = try seed.exchange([RedisCommand("CLUSTER", "SLOTS")])[0].throwingError().array()
        var owners = [RedisEndpoint?](repeating: nil, count: ClusterSlot.count)
        var masters: [RedisEndpoint] = []
        for range in ranges {
            let fields = try range.array()
            guard fields.count >= 3, let node = try? fields[2].array(), node.count >= 2 else { continue }
            let first = Int(try fields[0].int()), last = Int(try fields[1].int())
            var host = try node[0].string()
            // An empty host means "the address you reached me at".
            if host.isEmpty, case .tcp(let seedHost, _) = seed.configuration.endpoint { host = seedHost }
            let master = RedisEndpoint.tcp(host: host, port: Int(try node[1].int()))
            if !masters.contains(master) { masters.append(master) }
            for slot in first...last where (0..<ClusterSlot.count).contains(slot) { owners[slot] = master }
        }
        self.owners = owners
        self.masters = masters
    }

    func close() {
        nodes.values.forEach { $0.close() }
        nodes.removeAll()
    }

    /// A connection to `endpoint` with the seed's credentials and TLS.
    func node(_ endpoint: RedisEndpoint) throws -> RedisConnection {
        if let connection = nodes[endpoint], connection.isConnected { return connection }
        var configuration = seed.configuration
        configuration.endpoint = endpoint
        configuration.sentinel = nil
        let connection = try RedisConnection(configuration: configuration, discoverCluster: false)
        nodes[endpoint] = connection
        return connection
    }

    /// Connections to every master, for commands that must visit them all
    /// (SCAN).
    func masterConnections() throws -> [RedisConnection] {
        try masters.map(node)
    }

    /// Where a command goes, with `timeout` for blocking ones.
    func pipeline(_ commands: [RedisCommand], timeout: Double? = nil) throws -> [RedisReply] {
        var replies = [RedisReply?](repeating: nil, count: commands.count)
        var redirected: [Int: (endpoint: RedisEndpoint, asking: Bool)] = [:]
        var pending = Array(commands.indices)
        for _ in 0...Self.maximumRedirections {
            var groups: [RedisEndpoint?: [Int]] = [:]
            for index in pending {
                if ClusterSlot.goesToEveryMaster(commands[index]) {
                    replies[index] = try everyMaster(commands[index])
                    continue
                }
                let target = redirected[index]?.endpoint ?? ClusterSlot.of(commands[index]).flatMap { owners[$0] }
                groups[target, default: []].append(index)
            }
            var reload = false
            var next: [Int] = []
            for (target, indices) in groups {
                let connection = try target.map(node) ?? seed
                // ASKING holds for the one command after it.
                var batch: [RedisCommand] = []
                var positions: [Int] = []
                for index in indices {
                    if redirected[index]?.asking == true { batch.append(RedisCommand("ASKING")) }
                    positions.append(batch.count)
                    batch.append(commands[index])
                }
                let answers = try connection.exchange(batch, timeout: timeout)
                for (index, position) in zip(indices, positions) {
                    let reply = answers[position]
                    if case .error(let error) = reply, let redirection = ClusterSlot.redirection(error, seed: seed) {
                        redirected[index] = redirection
                        reload = reload || !redirection.asking
                        next.append(index)
                    } else {
                        replies[index] = reply
                        redirected[index] = nil
                    }
                }
            }
            if reload { try loadSlots() }
            pending = next
            if pending.isEmpty { return replies.map { $0! } }
        }
        throw RedisClientError.protocolError("a command was redirected more than \(Self.maximumRedirections) times")
    }

    private func everyMaster(_ command: RedisCommand) throws -> RedisReply {
        var first: RedisReply?
        for connection in try masterConnections() {
            let reply = try connection.exchange([command])[0]
            if case .error = reply { return reply }
            first = first ?? reply
        }
        return first ?? .null
    }
}

/// Slots: CRC16 of the key, or of its `{hash tag}`, modulo 16384.
enum ClusterSlot {
    static let count = 16384

    static func of(_ command: RedisCommand) -> Int? {
        key(of: command).map(slot)
    }

    static func slot(_ key: ArraySlice<UInt8>) -> Int {
        var hashed = key
        if let open = key.firstIndex(of: UInt8(ascii: "{")),
           let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            hashed = key[(open + 1)..<close]
        }
        var crc: UInt16 = 0
        for byte in hashed {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return Int(crc) % count
    }

    /// The key that decides a command's slot, nil for keyless commands.
    /// Reads only the arguments it needs: commands carry whole payloads.
    static func key(of command: RedisCommand) -> ArraySlice<UInt8>? {
        func text(_ index: Int) -> String { String(decoding: command.argument(index), as: UTF8.self) }
        switch command.name {
        case "EVALSHA", "EVAL", "EVALSHA_RO", "EVAL_RO", "FCALL", "FCALL_RO":
            guard command.count > 3, let keys = Int(text(2)), keys > 0 else { return nil }
            return command.argument(3)
        case "XREAD", "XREADGROUP":
            guard let streams = (1..<command.count).first(where: { text($0).uppercased() == "STREAMS" }),
                  streams + 1 < command.count else { return nil }
            return command.argument(streams + 1)
        case "XINFO", "XGROUP", "OBJECT", "MEMORY":
            return command.count > 2 ? command.argument(2) : nil
        case "PING", "INFO", "CLIENT", "AUTH", "SELECT", "ROLE", "CLUSTER", "ASKING", "PUBLISH", "SUBSCRIBE",
             "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "PUBSUB", "SCAN", "DBSIZE", "TIME", "CONFIG", "SENTINEL",
             "SLOWLOG", "LATENCY", "ACL", "COMMAND", "WAIT", "SCRIPT", "FLUSHALL", "FLUSHDB", "HELLO", "ECHO", "MIGRATE":
            return nil
        default:
            return command.count > 1 ? command.argument(1) : nil
        }
    }

    /// SCRIPT LOAD must reach every master (EVALSHA runs where the key is);
    /// FLUSHALL and FLUSHDB empty them all.
    static func goesToEveryMaster(_ command: RedisCommand) -> Bool {
        ["SCRIPT", "FLUSHALL", "FLUSHDB"].contains(command.name)
    }

    /// `MOVED slot host:port` or `ASK slot host:port` as where to go next.
    static func redirection(_ error: RedisServerError, seed: RedisConnection) -> (endpoint: RedisEndpoint, asking: Bool)? {
        guard error.kind == .moved || error.kind == .ask else { return nil }
        let words = error.message.split(separator: " ")
        guard words.count == 3, let colon = words[2].lastIndex(of: ":"), let port = Int(words[2][words[2].index(after: colon)...])
        else { return nil }
        var host = String(words[2][..<colon])
        if host.isEmpty, case .tcp(let seedHost, _) = seed.configuration.endpoint { host = seedHost }
        return (.tcp(host: host, port: port), error.kind == .ask)
    }
}
