import MQRedis
import MQTestSupport
import XCTest

final class ScriptAndScanTests: RedisTestCase {
    let incrementBy = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")

    func testScriptSHA1MatchesTheServers() throws {
        let redis = try connect()
        for source in [incrementBy.source, "", "return 1", String(repeating: "-- long comment line\n", count: 50)] {
            XCTAssertEqual(try redis.send("SCRIPT", "LOAD", source).string(), RedisScript(source).sha1, source)
        }
    }

    func testEvalshaLoadsTheScriptAfterScriptFlush() throws {
        let redis = try connect()
        XCTAssertEqual(try redis.run(incrementBy, keys: ["n"], arguments: [5]), .integer(5))
        try redis.send("SCRIPT", "FLUSH")
        XCTAssertEqual(try redis.send("SCRIPT", "EXISTS", incrementBy.sha1), .array([.integer(0)]))
        XCTAssertEqual(try redis.run(incrementBy, keys: ["n"], arguments: [2]), .integer(7))
        XCTAssertEqual(try redis.send("SCRIPT", "EXISTS", incrementBy.sha1), .array([.integer(1)]))
    }

    func testPipelinedScriptRunsEachCallOnceAfterScriptFlush() throws {
        let redis = try connect()
        try redis.send("SCRIPT", "FLUSH")
        let calls = (0..<100).map { _ in (keys: ["n"] as [any RedisArgument], arguments: [1] as [any RedisArgument]) }
        let replies = try redis.runPipelined(incrementBy, calls)
        XCTAssertEqual(replies, (1...100).map { .integer(Int64($0)) })
        XCTAssertEqual(try redis.send("GET", "n").int(), 100)
    }

    func testScriptErrorsAreServerErrors() throws {
        let redis = try connect()
        XCTAssertThrowsError(try redis.run(RedisScript("return redis.call('NOPE')"))) { error in
            XCTAssertTrue(error is RedisServerError, "\(error)")
        }
    }

    func testScanStreamsTenThousandKeysInBoundedBatches() throws {
        let redis = try connect()
        _ = try redis.pipeline((0..<10_000).map { RedisCommand("SET", "seq:\($0)", $0) })
        _ = try redis.pipeline((0..<500).map { RedisCommand("RPUSH", "list:\($0)", "x") })

        let scanner = redis.scan(match: "seq:*", count: 500)
        var seen = Set<String>()
        var largestBatch = 0
        while let batch = try scanner.nextBatch() {
            largestBatch = max(largestBatch, batch.count)
            for key in batch { seen.insert(String(decoding: key, as: UTF8.self)) }
        }
        XCTAssertEqual(seen, Set((0..<10_000).map { "seq:\($0)" }))
        // One SCAN reply at a time: batches stay near COUNT, far from the total.
        XCTAssertLessThan(largestBatch, 2_000)

        let lists = redis.scan(type: "list")
        var listCount = 0
        while try lists.next() != nil { listCount += 1 }
        XCTAssertEqual(listCount, 500)
    }

    func testScanOfNothingEnds() throws {
        let scanner = try connect().scan(match: "absent:*")
        XCTAssertNil(try scanner.next())
        XCTAssertNil(try scanner.next())
    }
}
