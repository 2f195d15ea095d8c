import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// The connection layer on a real 3-master cluster: routing by slot,
/// MOVED after a slot moved, ASK while it moves, SCAN over every master.
final class ClusterRoutingTests: XCTestCase {
    func testRoutingRedirectionsAndScan() throws {
        let cluster = try RedisCluster(masters: 3)
        let redis = try cluster.nodes[0].connect()
        XCTAssertTrue(redis.isCluster)

        // Keys on every master, through one connection, in one pipeline.
        let keys = (0..<60).map { "key:\($0)" }
        let replies = try redis.pipeline(keys.map { RedisCommand("SET", $0, $0) })
        XCTAssertEqual(replies, Array(repeating: .status("OK"), count: keys.count))
        for node in cluster.nodes {
            XCTAssertGreaterThan(try node.connect().send("DBSIZE").int(), 0, "each master holds some keys")
        }
        var scanned: [String] = []
        let scanner = redis.scan(match: "key:*", count: 7)
        while let key = try scanner.next() { scanned.append(String(decoding: key, as: UTF8.self)) }
        XCTAssertEqual(Set(scanned), Set(keys))

        // MOVED: the slot changes hands after the connection loaded its map.
        let moved = "{moved}:k"
        try redis.send("SET", moved, "1")
        let slot = Int(try redis.send("CLUSTER", "KEYSLOT", moved).int())
        let source = try cluster.owner(of: slot)
        let target = cluster.nodes.first { $0.port != source.port }!
        try cluster.migrate(slot: slot, to: target)
        XCTAssertEqual(try redis.send("GET", moved).string(), "1")
        XCTAssertEqual(try redis.send("INCR", moved).int(), 2)

        // ASK: half migrated; the key already on the target.
        let asked = "{asked}:k"
        try redis.send("SET", asked, "here")
        let askedSlot = Int(try redis.send("CLUSTER", "KEYSLOT", asked).int())
        let from = try cluster.owner(of: askedSlot)
        let to = cluster.nodes.first { $0.port != from.port }!
        let sourceID = try from.connect().send("CLUSTER", "MYID").string()
        let targetID = try to.connect().send("CLUSTER", "MYID").string()
        try to.connect().send("CLUSTER", "SETSLOT", askedSlot, "IMPORTING", sourceID)
        try from.connect().send("CLUSTER", "SETSLOT", askedSlot, "MIGRATING", targetID)
        try from.connect().send("MIGRATE", "127.0.0.1", to.port, asked, 0, 5000)
        XCTAssertEqual(try redis.send("GET", asked).string(), "here", "followed ASK to the importing node")
        XCTAssertEqual(try cluster.owner(of: askedSlot).port, from.port, "the slot itself has not moved")
    }
}
