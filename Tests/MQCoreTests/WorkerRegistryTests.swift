import MQCore
import MQRedis
import XCTest

/// Worker records: listed while alive, listed as stale for a while after
/// their heartbeats stop, then forgotten.
final class WorkerRegistryTests: CoreTestCase {
    func testStaleWorkersAreListedForFiveMinutesThenForgotten() throws {
        try broker.heartbeat("gone", fields: [("pid", "1")])
        clock.advance(milliseconds: 60_000)
        try broker.heartbeat("alive", fields: [("pid", "2")])
        let listed = try broker.workers()
        XCTAssertEqual(listed.map(\.id), ["alive", "gone"])
        XCTAssertEqual(listed.map(\.stale), [false, true], "a worker that just died is still shown, as stale")

        clock.advance(milliseconds: Broker.forgetWorkersAfter + 1)
        XCTAssertEqual(try broker.workers().map(\.id), [], "listing hides the long-gone even when nobody prunes")
        XCTAssertEqual(try redis.send("ZCARD", broker.keys.workers).int(), 2, "listing does not write")
        try broker.heartbeat("new", fields: [])
        XCTAssertEqual(try redis.send("ZRANGE", broker.keys.workers, 0, -1).array().map { try $0.string() }, ["new"],
                       "a heartbeat forgets them")
    }
}
