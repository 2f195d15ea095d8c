import Foundation
import MQRedis
import XCTest

final class StreamsCommandTests: CommandTestCase {
    /// A stream with a group: 10 entries, 6 read by two consumers, 4 not yet read.
    func seed() throws {
        for index in 0..<10 { _ = try redis("XADD", "events:orders", "*", "n", index) }
        _ = try redis("XGROUP", "CREATE", "events:orders", "billing", "0")
        _ = try redis("XREADGROUP", "GROUP", "billing", "alice", "COUNT", 4, "STREAMS", "events:orders", ">")
        _ = try redis("XREADGROUP", "GROUP", "billing", "bob", "COUNT", 2, "STREAMS", "events:orders", ">")
        _ = try redis("SET", "events:not-a-stream", "x")
    }

    func testDeletingAConsumerThatIsNotThereIsExit1() throws {
        try seed()
        let result = run("streams", "delconsumer", "events:orders", "billing", "ghost")
        XCTAssertEqual(result.code, 1)
        XCTAssertEqual(result.stderr, "mqctl: error: no consumer 'ghost' in group 'billing' of 'events:orders'\n")
    }

    func testListGroupsConsumersPendingMatchRedis() throws {
        try seed()
        let list = try json(run("streams", "list", "--pattern", "events:*", "--json"))
        let streams = try XCTUnwrap(list["streams"] as? [[String: Any]])
        XCTAssertEqual(streams.map { $0["stream"] as? String }, ["events:orders"])
        XCTAssertEqual(streams[0]["length"] as? Int, 10)
        XCTAssertEqual(streams[0]["groups"] as? Int, 1)

        let groups = try XCTUnwrap(try json(run("streams", "groups", "events:orders", "--json"))["groups"] as? [[String: Any]])
        XCTAssertEqual(groups.count, 1)
        let info = try redis("XINFO", "GROUPS", "events:orders").array()[0].array()
        func field(_ name: String) throws -> RedisReply { info[try XCTUnwrap(info.firstIndex(of: .bulk(Array(name.utf8)))) + 1] }
        XCTAssertEqual(groups[0]["pending"] as? Int, Int(try field("pending").int()))
        XCTAssertEqual(groups[0]["pending"] as? Int, 6)
        XCTAssertEqual(groups[0]["lag"] as? Int, Int(try field("lag").int()))
        XCTAssertEqual(groups[0]["lag"] as? Int, 4)
        XCTAssertEqual(groups[0]["consumers"] as? Int, 2)
        XCTAssertEqual(groups[0]["last_delivered_id"] as? String, try field("last-delivered-id").string())

        let consumers = try XCTUnwrap(try json(run("streams", "consumers", "events:orders", "billing", "--json"))["consumers"] as? [[String: Any]])
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: consumers.map { ($0["name"] as! String, $0["pending"] as! Int) }), ["alice": 4, "bob": 2])

        let pending = try XCTUnwrap(try json(run("streams", "pending", "events:orders", "billing", "--consumer", "bob", "--json"))["pending"] as? [[String: Any]])
        XCTAssertEqual(pending.count, 2)
        XCTAssertEqual(pending[0]["deliveries"] as? Int, 1)
        XCTAssertEqual(try redis("XPENDING", "events:orders", "billing").array()[0].int(), 6)
    }

    func testClaimDryRunChangesNothingAndClaimMoves() throws {
        try seed()
        Thread.sleep(forTimeInterval: 0.05)
        // Owner and delivery count of each pending entry (idle time moves on its own).
        func owners() throws -> [[String]] {
            try redis("XPENDING", "events:orders", "billing", "-", "+", 100).array().map { entry in
                let parts = try entry.array()
                return [try parts[0].string(), try parts[1].string(), try parts[3].string()]
            }
        }
        let before = try owners()
        let dry = try json(run("streams", "claim", "events:orders", "billing", "--to", "carol", "--idle", "10ms", "--dry-run", "--json"))
        XCTAssertEqual(dry["claimed"] as? Int, 6)
        XCTAssertEqual(try owners(), before, "a dry run changes nothing")
        let done = try json(run("streams", "claim", "events:orders", "billing", "--to", "carol", "--idle", "10ms", "--json"))
        XCTAssertEqual(done["claimed"] as? Int, 6)
        let owners = try redis("XPENDING", "events:orders", "billing", "-", "+", 100).array().map { try $0.array()[1].string() }
        XCTAssertEqual(Set(owners), ["carol"])
    }

    func testDeadMovesOverdeliveredEntriesAtomically() throws {
        try seed()
        // Deliver alice's four entries twice more (XCLAIM counts a delivery).
        let ids = try redis("XPENDING", "events:orders", "billing", "-", "+", 100, "alice").array().map { try $0.array()[0].string() }
        for _ in 0..<2 { _ = try connect().send(RedisCommand(["XCLAIM", "events:orders", "billing", "alice", 0] + ids)) }
        let dry = try json(run("streams", "dead", "events:orders", "billing", "--max-deliveries", "3", "--dry-run", "--json"))
        XCTAssertEqual(dry["moved"] as? Int, 4)
        XCTAssertEqual(try redis("XLEN", "events:orders:dead").int(), 0)

        let moved = try json(run("streams", "dead", "events:orders", "billing", "--max-deliveries", "3", "--json"))
        XCTAssertEqual(moved["moved"] as? Int, 4)
        XCTAssertEqual(try redis("XLEN", "events:orders:dead").int(), 4)
        let pendingIds = Set(try redis("XPENDING", "events:orders", "billing", "-", "+", 100).array().map { try $0.array()[0].string() })
        let deadSources = Set(try redis("XRANGE", "events:orders:dead", "-", "+").array().map { entry -> String in
            let fields = try entry.array()[1].array().map { try $0.string() }
            XCTAssertTrue(fields.contains("reason") && fields.contains("n"), "\(fields)")
            return fields[fields.firstIndex(of: "source_id")! + 1]
        })
        XCTAssertEqual(deadSources, Set(ids))
        XCTAssertTrue(pendingIds.isDisjoint(with: deadSources), "no entry is both pending and dead")
        XCTAssertEqual(pendingIds.count, 2, "bob's entries, delivered once, stay pending")
        XCTAssertEqual(try redis("XLEN", "events:orders").int(), 10, "the stream is not trimmed")
    }

    func testDelConsumerRefusesPendingUnlessForced() throws {
        try seed()
        let refused = run("streams", "delconsumer", "events:orders", "billing", "bob")
        XCTAssertEqual(refused.code, 1)
        XCTAssertTrue(refused.stderr.contains("still has 2 pending entries"), refused.stderr)
        _ = try redis("XGROUP", "CREATECONSUMER", "events:orders", "billing", "idle-one")
        XCTAssertEqual(run("streams", "delconsumer", "events:orders", "billing", "idle-one").code, 0)
        XCTAssertEqual(run("streams", "delconsumer", "events:orders", "billing", "bob", "--force").code, 0)
        XCTAssertEqual(run("streams", "delconsumer", "events:orders", "billing", "nobody").code, 1, "no such consumer: the operation failed, it was not misused")
    }

    /// What --force drops, and --claim-to, which drops nothing.
    func testDelConsumerForceDropsPendingAndClaimToHandsThemOver() throws {
        try seed()
        let pendingBefore = try redis("XPENDING", "events:orders", "billing").array()[0].int()
        let bobs = try redis("XPENDING", "events:orders", "billing", "-", "+", 100, "bob").array().map { try $0.array() }
        XCTAssertEqual(bobs.count, 2)
        let deliveries = try Dictionary(uniqueKeysWithValues: bobs.map { (try $0[0].string(), try $0[3].int()) })

        let handed = try json(run("streams", "delconsumer", "events:orders", "billing", "bob", "--claim-to", "carol", "--json"))
        XCTAssertEqual(handed["claimed"] as? Int, 2)
        XCTAssertEqual(handed["pending_dropped"] as? Int, 0)
        XCTAssertEqual(try redis("XPENDING", "events:orders", "billing").array()[0].int(), pendingBefore, "nothing dropped")
        let carols = try redis("XPENDING", "events:orders", "billing", "-", "+", 100, "carol").array().map { try $0.array() }
        XCTAssertEqual(try Dictionary(uniqueKeysWithValues: carols.map { (try $0[0].string(), try $0[3].int()) }), deliveries,
                       "the same entries, their delivery counts kept")
        let consumers = try redis("XINFO", "CONSUMERS", "events:orders", "billing").array().map { try $0.array()[1].string() }
        XCTAssertFalse(consumers.contains("bob"), "\(consumers)")
        XCTAssertEqual(run("streams", "delconsumer", "events:orders", "billing", "bob", "--claim-to", "carol").code, 1, "bob is gone")
        XCTAssertEqual(run("streams", "delconsumer", "events:orders", "billing", "carol", "--claim-to", "carol").code, 64)
        XCTAssertEqual(run("streams", "delconsumer", "events:orders", "billing", "carol", "--claim-to", "x", "--force").code, 64)

        // --force drops carol's two from the group's pending list.
        let forced = try json(run("streams", "delconsumer", "events:orders", "billing", "carol", "--force", "--json"))
        XCTAssertEqual(forced["pending_dropped"] as? Int, 2)
        XCTAssertEqual(try redis("XPENDING", "events:orders", "billing").array()[0].int(), pendingBefore - 2)
        XCTAssertEqual(try redis("XLEN", "events:orders").int(), 10, "the entries stay in the stream")
    }
}
