import Foundation
import MQRedis

/// A Redis Cluster of real servers: `masters` nodes in cluster mode joined
/// with `redis-cli --cluster create`, the 16,384 slots split between them.
public final class RedisCluster {
    public let nodes: [RedisServer]

    public init(masters: Int = 3) throws {
        nodes = try (0..<masters).map { _ in
            var options = RedisServer.Options()
            options.cluster = true
            return try RedisServer(options)
        }
        guard let cli = RedisServer.findExecutable("redis-cli") else {
            throw FixtureError("redis-cli is not installed: run Scripts/bootstrap (it installs redis-tools)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["--cluster", "create"] + nodes.map { "127.0.0.1:\($0.port)" } + ["--cluster-replicas", "0", "--cluster-yes"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("redis-cli --cluster create failed: \(String(decoding: text, as: UTF8.self).suffix(2000))")
        }
        let deadline = Date().addingTimeInterval(20)
        while try !nodes.allSatisfy({ try $0.connect().send("CLUSTER", "INFO").string().contains("cluster_state:ok") }) {
            guard Date() < deadline else { throw FixtureError("the cluster did not reach cluster_state:ok") }
            usleep(100_000)
        }
    }

    public var url: String { nodes[0].url }

    /// The node that serves `slot` now.
    public func owner(of slot: Int) throws -> RedisServer {
        let ranges = try nodes[0].connect().send("CLUSTER", "SLOTS").array()
        for range in ranges {
            let fields = try range.array()
            if try (fields[0].int()...fields[1].int()).contains(Int64(slot)) {
                let port = try fields[2].array()[1].int()
                return nodes.first { $0.port == port }!
            }
        }
        throw FixtureError("no node serves slot \(slot)")
    }

    /// Moves `slot` and its keys to `target` the way `redis-cli --cluster
    /// reshard` does (IMPORTING/MIGRATING, MIGRATE in batches, SETSLOT
    /// NODE), pausing between batches so clients meet ASK and TRYAGAIN.
    public func migrate(slot: Int, to target: RedisServer, batch: Int = 5, pause: Double = 0.05) throws {
        let source = try owner(of: slot)
        let from = try source.connect(), to = try target.connect()
        let sourceID = try from.send("CLUSTER", "MYID").string(), targetID = try to.send("CLUSTER", "MYID").string()
        try to.send("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceID)
        try from.send("CLUSTER", "SETSLOT", slot, "MIGRATING", targetID)
        while true {
            let keys = try from.send("CLUSTER", "GETKEYSINSLOT", slot, batch).array().map { try $0.bytes() }
            if keys.isEmpty { break }
            try from.send(RedisCommand(["MIGRATE", "127.0.0.1", target.port, "", 0, 5000, "KEYS"] + keys))
            usleep(UInt32(pause * 1_000_000))
        }
        for node in nodes { try node.connect().send("CLUSTER", "SETSLOT", slot, "NODE", targetID) }
    }
}
