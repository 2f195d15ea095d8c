import Foundation
import MQCore
import MQRedis
import MQTestSupport
import XCTest

final class PromoteTests: CoreTestCase {
    func testDueMessagesMoveToTheirTierAndOthersStay() throws {
        let k = broker.keys.queue(orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [1], priority: .express, runAt: start + 1_000, id: "soon-express"), to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [2], runAt: start + 2_000, id: "soon-normal"), to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [3], runAt: start + 60_000, id: "later"), to: orders)
        // A retry entry as the worker will leave it.
        _ = try broker.enqueue(EnqueueRequest(payload: [4], priority: .urgent, id: "retried"), to: orders)
        try redis.send("LREM", k.ready(.urgent), 0, "retried")
        try redis.send("ZADD", k.retry, start + 500, "retried")
        try redis.send("HSET", k.message("retried"), "state", "retry", "run_at", start + 500)

        XCTAssertEqual(try broker.promote(orders).moved, 0, "nothing is due yet")
        clock.advance(milliseconds: 2_000)
        let result = try broker.promote(orders)
        XCTAssertEqual(result, PromoteResult(queue: orders, fromDelayed: 2, fromRetry: 1))
        XCTAssertEqual(try list(k.ready(.express)), ["soon-express"])
        XCTAssertEqual(try list(k.ready(.urgent)), ["retried"])
        XCTAssertEqual(try list(k.ready(.normal)), ["soon-normal"])
        XCTAssertEqual(try zset(k.delayed), ["later": start + 60_000])
        XCTAssertEqual(try zset(k.retry), [:])
        XCTAssertEqual(try field(orders, "soon-normal", "state"), "ready")
        XCTAssertEqual(try field(orders, "soon-normal", "run_at"), String(start + 2_000), "promote keeps run_at, so latency counts the wait")
        XCTAssertEqual(try field(orders, "retried", "state"), "ready")
    }

    func testBatchesAreBoundedAndReportMoreDue() throws {
        let requests = (0..<(Broker.batchSize + 20)).map { EnqueueRequest(payload: [0], runAt: start + 1, id: "d\($0)") }
        _ = try broker.enqueue(requests, to: orders)
        clock.advance(milliseconds: 1)
        let first = try broker.promoteBatch(orders)
        XCTAssertEqual(first.result.fromDelayed, Broker.batchSize)
        XCTAssertTrue(first.moreDue)
        let second = try broker.promoteBatch(orders)
        XCTAssertEqual(second.result.fromDelayed, 20)
        XCTAssertFalse(second.moreDue)
        XCTAssertEqual(try redis.send("LLEN", broker.keys.queue(orders).ready(.normal)).int(), Int64(Broker.batchSize + 20))
    }

    func testRacingPromotersMoveEachMessageOnce() throws {
        let count = 2_000
        _ = try broker.enqueue((0..<count).map { EnqueueRequest(payload: [0], runAt: start + 1, id: "r\($0)") }, to: orders)
        clock.advance(milliseconds: 1)
        let time = clock!
        let config = server.configuration()
        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var total = 0
            var failures: [Error] = []
        }
        let tally = Tally()
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let promoter = Broker(connection: try RedisConnection(configuration: config), prefix: "mq", time: time)
                    let result = try promoter.promote(try QueueName("orders"))
                    tally.lock.withLock { tally.total += result.moved }
                } catch {
                    tally.lock.withLock { tally.failures.append(error) }
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertTrue(tally.failures.isEmpty, "\(tally.failures)")
        XCTAssertEqual(tally.total, count)
        let ready = try list(broker.keys.queue(orders).ready(.normal))
        XCTAssertEqual(ready.count, count)
        XCTAssertEqual(Set(ready).count, count, "no id twice")
    }

    func testRunNowAndCancel() throws {
        let k = broker.keys.queue(orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [1], priority: .urgent, runAt: start + 60_000, id: "a"), to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [2], runAt: start + 60_000, id: "b"), to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [3], id: "ready-one"), to: orders)
        clock.advance(milliseconds: 10)

        let run = try broker.runNow(orders, ids: ["a", "ready-one", "ghost"])
        XCTAssertEqual(run.moved, 1)
        XCTAssertEqual(run.notFound, ["ready-one", "ghost"])
        XCTAssertEqual(try list(k.ready(.urgent)), ["a"])
        XCTAssertEqual(try field(orders, "a", "run_at"), String(start + 10))
        XCTAssertEqual(try list(k.ready(.normal)), ["ready-one"], "a ready message is not moved twice")

        let cancel = try broker.cancelDelayed(orders, ids: ["b", "a"])
        XCTAssertEqual(cancel.moved, 1)
        XCTAssertEqual(cancel.notFound, ["a"])
        XCTAssertEqual(try zset(k.delayed), [:])
        XCTAssertEqual(try redis.send("EXISTS", k.message("b")).int(), 0)
        XCTAssertEqual(try redis.send("EXISTS", k.message("a")).int(), 1, "a ready message is not cancelled")
    }

    func testPromoteSurvivesScriptFlush() throws {
        _ = try broker.enqueue(EnqueueRequest(payload: [1], runAt: start + 1, id: "x"), to: orders)
        try redis.send("SCRIPT", "FLUSH")
        clock.advance(milliseconds: 1)
        XCTAssertEqual(try broker.promote(orders).moved, 1)
    }
}
