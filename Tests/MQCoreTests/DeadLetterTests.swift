import Foundation
import MQCore
import MQRedis
import XCTest

final class DeadLetterTests: CoreTestCase {
    /// Puts `count` messages in the retry set, as a failing worker leaves them.
    func seedRetry(_ count: Int, queue: QueueName? = nil, error: (Int) -> String = { "boom \($0)" }) throws -> [String] {
        let queue = queue ?? orders
        let k = broker.keys.queue(queue)
        let ids = (0..<count).map { String(format: "m%05d", $0) }
        _ = try broker.enqueue(ids.map { EnqueueRequest(payload: Array("payload \($0)".utf8), runAt: start + 3_600_000, id: $0) }, to: queue)
        var commands: [RedisCommand] = []
        for (index, id) in ids.enumerated() {
            commands.append(RedisCommand("ZREM", k.delayed, id))
            commands.append(RedisCommand("ZADD", k.retry, start + Int64(index), id))
            commands.append(RedisCommand("HSET", k.message(id), "state", "retry", "attempts", 3, "last_error", error(index)))
        }
        _ = try redis.pipeline(commands)
        return ids
    }

    /// Kills `ids` one millisecond apart, so each has its own failed-at.
    func killApart(_ ids: [String], queue: QueueName? = nil) throws {
        for id in ids {
            clock.advance(milliseconds: 1)
            _ = try broker.kill(queue ?? orders, ids: [id], from: .retry, error: nil)
        }
    }

    func testKillMovesToDeadKeepsTheErrorAndCounts() throws {
        let ids = try seedRetry(3)
        let k = broker.keys.queue(orders)
        let result = try broker.kill(orders, ids: [ids[0], "ghost", ids[2]], from: .retry, error: nil)
        XCTAssertEqual(result.killed, [true, false, true])
        XCTAssertEqual(result.trimmed, 0)
        XCTAssertEqual(try zset(k.dead), [ids[0]: start, ids[2]: start])
        XCTAssertEqual(try zset(k.retry).keys.sorted(), [ids[1]])
        XCTAssertEqual(try field(orders, ids[0], "state"), "dead")
        XCTAssertEqual(try field(orders, ids[0], "failed_at"), String(start))
        XCTAssertEqual(try field(orders, ids[0], "last_error"), "boom 0")
        _ = try broker.kill(orders, ids: [ids[1]], from: .retry, error: "killed by hand")
        XCTAssertEqual(try field(orders, ids[1], "last_error"), "killed by hand")
        XCTAssertEqual(try redis.send("GET", k.counter(.dead)).int(), 3)
    }

    func testCapsTrimTheOldestAndCountThem() throws {
        try broker.createQueue(orders, QueueConfigChange(deadMax: 3, deadMaxAge: 60_000))
        let ids = try seedRetry(5)
        try killApart(ids)
        let k = broker.keys.queue(orders)
        XCTAssertEqual(try zset(k.dead).keys.sorted(), Array(ids.suffix(3)), "dead_max keeps the newest 3")
        XCTAssertEqual(try redis.send("EXISTS", k.message(ids[0]), k.message(ids[1])).int(), 0, "trimmed envelopes are deleted")
        XCTAssertEqual(try broker.stats([orders]).first?.deadTrimmed, 2)

        clock.advance(milliseconds: 60_001)
        XCTAssertEqual(try broker.trimDead(orders), 3, "all three are now older than dead_max_age")
        XCTAssertEqual(try zset(k.dead), [:])
        XCTAssertEqual(try broker.stats([orders]).first?.deadTrimmed, 5)
    }

    func testListingIsNewestFirstAndTheCursorCoversEveryItemOnce() throws {
        // 1,234 dead letters, many sharing a failed-at millisecond.
        let ids = try seedRetry(1_234)
        for start in stride(from: 0, to: ids.count, by: 100) {
            clock.advance(milliseconds: 1)
            _ = try broker.kill(orders, ids: Array(ids[start..<min(start + 100, ids.count)]), from: .retry, error: nil)
        }
        var seen: [String] = []
        var cursor: DeadLetterCursor?
        var pages = 0
        repeat {
            cursor = try broker.deadLetters(orders, after: cursor, limit: 70, pageSize: 30) { seen.append($0.id) }
            pages += 1
        } while cursor != nil && pages < 100
        XCTAssertEqual(seen.count, ids.count)
        XCTAssertEqual(Set(seen), Set(ids))
        // Newest first: the last batch killed comes first.
        XCTAssertEqual(seen.first, ids.last)
        XCTAssertEqual(seen.last, ids.first)
    }

    func testFilters() throws {
        let ids = try seedRetry(6, error: { $0 % 2 == 0 ? "timeout after 30s" : "connection refused\nat line 3" })
        try killApart(Array(ids.prefix(3)))
        clock.advance(milliseconds: 3_600_000)
        try killApart(Array(ids.suffix(3)))
        try redis.send("HSET", broker.keys.queue(orders).message(ids[4]), "headers", #"{"tenant":"acme"}"#)

        func matching(_ filter: DeadLetterFilter) throws -> [String] {
            var found: [String] = []
            try broker.deadLetters(orders, filter: filter) { found.append($0.id) }
            return found.sorted()
        }
        XCTAssertEqual(try matching(DeadLetterFilter()), ids)
        XCTAssertEqual(try matching(DeadLetterFilter(olderThan: 60_000)), Array(ids.prefix(3)))
        XCTAssertEqual(try matching(DeadLetterFilter(newerThan: 60_000)), Array(ids.suffix(3)))
        XCTAssertEqual(try matching(DeadLetterFilter(error: try ErrorPattern("^timeout"))), [ids[0], ids[2], ids[4]])
        XCTAssertEqual(try matching(DeadLetterFilter(error: try ErrorPattern("line \\d"))), [ids[1], ids[3], ids[5]])
        XCTAssertEqual(try matching(DeadLetterFilter(headers: ["tenant": "acme"])), [ids[4]])
        XCTAssertEqual(try matching(DeadLetterFilter(payloadContains: Array("payload m00003".utf8))), [ids[3]])
        XCTAssertEqual(try matching(DeadLetterFilter(newerThan: 60_000, error: try ErrorPattern("refused"))), [ids[3], ids[5]])
    }

    func testReplayResetsAttemptsAndMovesEachOnce() throws {
        let ids = try seedRetry(4)
        _ = try broker.kill(orders, ids: ids, from: .retry, error: nil)
        let k = broker.keys.queue(orders)
        try redis.send("HSET", k.message(ids[1]), "priority", "express")
        try redis.send("DEL", k.message(ids[3]))
        clock.advance(milliseconds: 5_000)

        let outcomes = try broker.replay(orders, ids: [ids[0], ids[1], ids[3], "ghost"], keepAttempts: false)
        XCTAssertEqual(outcomes, [.moved, .moved, .skipped, .notFound])
        XCTAssertEqual(try list(k.ready(.normal)), [ids[0]])
        XCTAssertEqual(try list(k.ready(.express)), [ids[1]])
        XCTAssertEqual(try field(orders, ids[0], "attempts"), "0")
        XCTAssertEqual(try field(orders, ids[0], "state"), "ready")
        XCTAssertEqual(try field(orders, ids[0], "run_at"), String(start + 5_000))
        XCTAssertEqual(try zset(k.dead).keys.sorted(), [ids[2], ids[3]], "the one without an envelope stays dead")
        XCTAssertEqual(try broker.replay(orders, ids: [ids[0]], keepAttempts: false), [.notFound], "never twice")
        XCTAssertEqual(try broker.replay(orders, ids: [ids[2]], keepAttempts: true), [.moved])
        XCTAssertEqual(try field(orders, ids[2], "attempts"), "3")
    }

    func testReplayIntoAnotherQueue() throws {
        let ids = try seedRetry(3)
        _ = try broker.kill(orders, ids: ids, from: .retry, error: nil)
        let other = try QueueName("orders-retry")
        _ = try broker.enqueue(EnqueueRequest(payload: [1], id: ids[2]), to: other)
        let outcomes = try broker.replay(orders, ids: ids, to: other, keepAttempts: false)
        XCTAssertEqual(outcomes, [.moved, .moved, .skipped], "an id taken in the target is left dead here")
        let target = broker.keys.queue(other)
        XCTAssertEqual(try list(target.ready(.normal)), [ids[2], ids[0], ids[1]])
        XCTAssertEqual(try field(other, ids[0], "payload"), "payload m00000")
        XCTAssertEqual(try field(other, ids[0], "attempts"), "0")
        XCTAssertEqual(try zset(broker.keys.queue(orders).dead).keys.sorted(), [ids[2]])
        XCTAssertEqual(try redis.send("EXISTS", broker.keys.queue(orders).message(ids[0])).int(), 0)
    }

    func testPurgeAndImport() throws {
        let ids = try seedRetry(3)
        _ = try broker.kill(orders, ids: ids, from: .retry, error: nil)
        let envelopes = try broker.readEnvelopes(orders, ids: ids).map { $0.envelope! }
        XCTAssertEqual(try broker.purgeDead(orders, ids: [ids[0], "ghost"]), [true, false])
        XCTAssertEqual(try redis.send("EXISTS", broker.keys.queue(orders).message(ids[0])).int(), 0)

        XCTAssertEqual(try broker.importMessages(orders, envelopes, to: .dead), [true, false, false])
        XCTAssertEqual(try broker.readEnvelopes(orders, ids: [ids[0]]).first?.envelope, envelopes[0], "whole envelope back")
        let other = try QueueName("copy")
        XCTAssertEqual(try broker.importMessages(other, envelopes, to: .ready), [true, true, true])
        XCTAssertEqual(try list(broker.keys.queue(other).ready(.normal)), ids)
        XCTAssertEqual(try field(other, ids[0], "attempts"), "0")
        XCTAssertEqual(try field(other, ids[0], "state"), "ready")
        XCTAssertEqual(try broker.queueNames().map(\.rawValue), ["copy", "orders"])
    }

    func testLock() throws {
        let first = try broker.lock("dlq-replay", queue: orders, ttl: 2_000)
        XCTAssertThrowsError(try broker.lock("dlq-replay", queue: orders)) { error in
            guard case .lockHeld(let name, let holder) = error as? MQError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "dlq-replay:orders")
            XCTAssertTrue(holder.contains("pid \(getpid())"), holder)
        }
        let ttl = try redis.send("PTTL", "mq:lock:dlq-replay:orders").int()
        XCTAssertTrue((1...2_000).contains(ttl), "\(ttl)")
        first.release()
        let second = try broker.lock("dlq-replay", queue: orders)
        // A release by a run that no longer holds the lock changes nothing.
        first.release()
        XCTAssertEqual(try redis.send("EXISTS", "mq:lock:dlq-replay:orders").int(), 1)
        second.release()
        XCTAssertEqual(try redis.send("EXISTS", "mq:lock:dlq-replay:orders").int(), 0)
    }
}
