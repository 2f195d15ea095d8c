import Foundation
import XCTest

final class SeqCommandTests: CommandTestCase {
    func testDumpReportsValuesTTLsAndProblemsSorted() throws {
        _ = try redis("SET", "seq:b", 20)
        _ = try redis("SET", "seq:a", 10, "EX", 100)
        _ = try redis("SET", "seq:text", "abc")
        _ = try redis("HSET", "seq:hash", "f", "1")
        _ = try redis("SET", "other", 5)
        let dump = try json(run("seq", "dump", "--json"))
        let counters = try XCTUnwrap(dump["counters"] as? [[String: Any]])
        XCTAssertEqual(counters.map { $0["key"] as? String }, ["seq:a", "seq:b", "seq:hash", "seq:text"])
        XCTAssertEqual(counters[0]["value"] as? Int, 10)
        XCTAssertEqual(counters[0]["ttl"] as? Int, 100)
        XCTAssertTrue(counters[1]["ttl"] is NSNull)
        XCTAssertEqual(counters[2]["problem"] as? String, "wrong type: hash")
        XCTAssertEqual(counters[3]["problem"] as? String, "not an integer")
        XCTAssertEqual(run("seq", "dump", "--pattern", "seq:a*", "-o", "ndjson").stdout.split(separator: "\n").count, 1)
        XCTAssertEqual(run("seq", "get", "seq:text").code, 65)
        XCTAssertEqual(run("seq", "get", "seq:none").code, 1)
    }

    func testNextAndSet() throws {
        let next = try json(run("seq", "next", "seq:c", "--count", "5", "--json"))
        XCTAssertEqual(next["first"] as? Int, 1)
        XCTAssertEqual(next["last"] as? Int, 5)
        _ = try redis("EXPIRE", "seq:c", 500)

        let lower = run("seq", "set", "seq:c", "3")
        XCTAssertEqual(lower.code, 1)
        XCTAssertTrue(lower.stderr.contains("would hand out numbers again"), lower.stderr)
        XCTAssertEqual(try redis("GET", "seq:c").int(), 5, "nothing changed")
        XCTAssertEqual(run("seq", "set", "seq:c", "3", "--allow-decrease").code, 64, "lowering asks; without a terminal it needs --yes")
        XCTAssertEqual(try redis("GET", "seq:c").int(), 5)
        XCTAssertEqual(run("seq", "set", "seq:c", "3", "--allow-decrease", "--yes").code, 0)
        XCTAssertEqual(try redis("GET", "seq:c").int(), 3)
        XCTAssertGreaterThan(try redis("TTL", "seq:c").int(), 0, "the TTL is kept")

        XCTAssertEqual(run("seq", "set", "seq:c", "10", "--if-equals", "4").code, 1)
        XCTAssertEqual(try redis("GET", "seq:c").int(), 3)
        XCTAssertEqual(try json(run("seq", "set", "seq:c", "10", "--if-equals", "3", "--json"))["old"] as? Int, 3)
        XCTAssertEqual(try redis("GET", "seq:c").int(), 10)
        _ = try redis("SET", "seq:text", "abc")
        XCTAssertEqual(run("seq", "set", "seq:text", "1").code, 65)
    }

    func testRestoreNeverLowersACounter() throws {
        _ = try redis("SET", "seq:a", 100)
        _ = try redis("SET", "seq:b", 50)
        _ = try redis("SET", "seq:c", 7, "EX", 300)
        let exported = run("seq", "export")
        XCTAssertEqual(exported.code, 0, exported.stderr)
        XCTAssertEqual(exported.stdout.split(separator: "\n").count, 3)
        // A failover later: one counter went back, one forward, one is gone.
        _ = try redis("SET", "seq:a", 90)
        _ = try redis("SET", "seq:b", 60)
        _ = try redis("DEL", "seq:c")
        let restored = try json(run("seq", "restore", "--json", stdin: exported.stdout))
        XCTAssertEqual(restored["raised"] as? Int, 1)
        XCTAssertEqual(restored["kept"] as? Int, 1)
        XCTAssertEqual(restored["created"] as? Int, 1)
        XCTAssertEqual(try redis("GET", "seq:a").int(), 100, "raised back to the saved value")
        XCTAssertEqual(try redis("GET", "seq:b").int(), 60, "never lowered")
        XCTAssertEqual(try redis("GET", "seq:c").int(), 7)
        XCTAssertGreaterThan(try redis("TTL", "seq:c").int(), 0, "a created counter gets its saved TTL")
        XCTAssertEqual(run("seq", "restore", stdin: "{\"key\": 1}\n").code, 65)
    }
}

final class DepthCommandTests: CommandTestCase {
    func testDepthOverAForeignLayout() throws {
        _ = try redis("LPUSH", "courier:queue:express", "a", "b", "c")
        _ = try redis("LPUSH", "courier:queue:normal", "d")
        let nowSeconds = Int(Date().timeIntervalSince1970)
        _ = try redis("ZADD", "courier:retry", nowSeconds - 10, "due1", nowSeconds - 1, "due2", nowSeconds + 3600, "later")
        _ = try redis("ZADD", "courier:delay-ms", (nowSeconds - 5) * 1000, "x", (nowSeconds + 60) * 1000, "y")
        _ = try redis("SADD", "courier:set", "m")
        _ = try redis("XADD", "courier:stream", "*", "f", "v")
        _ = try redis("SET", "courier:config", "x")
        let result = try json(run("depth", "courier:queue:*", "courier:*", "--due", "--json"))
        let keys = try XCTUnwrap(result["keys"] as? [[String: Any]])
        func entry(_ key: String) -> [String: Any]? { keys.first { $0["key"] as? String == key } }
        XCTAssertEqual(entry("courier:queue:express")?["length"] as? Int, 3)
        XCTAssertEqual(entry("courier:retry")?["type"] as? String, "zset")
        XCTAssertEqual(entry("courier:retry")?["due"] as? Int, 2, "scored in seconds")
        XCTAssertEqual(entry("courier:delay-ms")?["due"] as? Int, 1, "scored in milliseconds")
        XCTAssertEqual(entry("courier:stream")?["length"] as? Int, 1)
        XCTAssertTrue(entry("courier:config")?["length"] is NSNull)
        let patterns = try XCTUnwrap(result["patterns"] as? [[String: Any]])
        XCTAssertEqual(patterns.count, 2)
        XCTAssertEqual(patterns[0]["pattern"] as? String, "courier:queue:*")
        XCTAssertEqual(patterns[0]["keys"] as? Int, 2)
        XCTAssertEqual(patterns[0]["total"] as? Int, 4)
        XCTAssertEqual(patterns[1]["keys"] as? Int, 7)
        XCTAssertEqual(patterns[1]["total"] as? Int, 3 + 1 + 3 + 2 + 1 + 1)
        let table = run("depth", "courier:queue:*")
        XCTAssertTrue(table.stdout.contains("PATTERN"), table.stdout)
    }
}
