import MQCore
import MQRedis
import XCTest

final class StatsTests: CoreTestCase {
    func testStatsOfOneQueue() throws {
        let k = broker.keys.queue(orders)
        try broker.createQueue(orders, QueueConfigChange(maxLength: 10))
        _ = try broker.enqueue(EnqueueRequest(payload: [1], priority: .express, id: "e1"), to: orders)
        clock.advance(milliseconds: 4_000)
        _ = try broker.enqueue(EnqueueRequest(payload: [1], priority: .urgent, id: "u1"), to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [1], id: "n1"), to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [1], id: "n2"), to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [1], runAt: start + 5_000, id: "d-due"), to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [1], runAt: start + 30_000, id: "d-later"), to: orders)
        try redis.send("ZADD", k.retry, start + 20_000, "r1")
        try redis.send("ZADD", k.inflight, start + 60_000, "i1")
        try redis.send("ZADD", k.dead, start, "x1", start, "x2")
        try redis.send("SET", k.counter(.processed), 40)
        try redis.send("SET", k.counter(.failed), 3)
        clock.advance(milliseconds: 6_000) // now = start + 10s; the previous minute's buckets:
        let minute = (start + 10_000) / 60_000 - 1
        try redis.send("SET", k.counter(.processed, minute: minute), 12)
        try redis.send("SET", k.counter(.failed, minute: minute), 2)

        let stats = try XCTUnwrap(try broker.stats([orders]).first)
        XCTAssertEqual(stats.readyByPriority, [.express: 1, .urgent: 1, .normal: 2])
        XCTAssertEqual(stats.ready, 4)
        XCTAssertEqual(stats.delayed, 2)
        XCTAssertEqual(stats.retry, 1)
        XCTAssertEqual(stats.inflight, 1)
        XCTAssertEqual(stats.dead, 2)
        XCTAssertEqual(stats.latencySeconds, 10, "e1 has been ready since start")
        XCTAssertEqual(stats.overdue, 1, "d-due is past its run-at and not promoted")
        XCTAssertEqual(stats.nextDueSeconds, 0)
        XCTAssertEqual(stats.enqueued, 6)
        XCTAssertEqual(stats.processed, 40)
        XCTAssertEqual(stats.failed, 3)
        XCTAssertEqual(stats.processedPerMinute, 12)
        XCTAssertEqual(stats.failedPerMinute, 2)
        XCTAssertEqual(stats.usagePercent, 60)
        XCTAssertEqual(stats.status, .ok)

        _ = try broker.promote(orders)
        let after = try XCTUnwrap(try broker.stats([orders]).first)
        XCTAssertEqual(after.overdue, 0)
        XCTAssertEqual(after.nextDueSeconds, 10, "r1 is due at start + 20s")
    }

    func testStatusThresholds() throws {
        try broker.createQueue(orders, QueueConfigChange(maxLength: 20))
        let statuses: [(Int, QueueStats.Status)] = [(15, .ok), (16, .warn), (18, .warn), (19, .crit), (20, .crit)]
        var enqueued = 0
        for (count, status) in statuses {
            _ = try broker.enqueue((enqueued..<count).map { _ in EnqueueRequest(payload: [0]) }, to: orders)
            enqueued = count
            XCTAssertEqual(try broker.stats([orders]).first?.status, status, "\(count) of 20")
        }
    }

    func testEmptyAndUnknownQueues() throws {
        XCTAssertEqual(try broker.stats(), [])
        let ghost = try XCTUnwrap(try broker.stats([try QueueName("ghost")]).first)
        XCTAssertEqual(ghost.ready, 0)
        XCTAssertEqual(ghost.latencySeconds, 0)
        XCTAssertNil(ghost.nextDueSeconds)
        XCTAssertNil(ghost.usagePercent)
    }

    func testRoundTripsDoNotGrowWithQueuesOrMessages() throws {
        func roundTrips(queues: Int, messagesEach: Int) throws -> Int {
            try server.flushAll()
            for index in 0..<queues {
                _ = try broker.enqueue((0..<messagesEach).map { _ in EnqueueRequest(payload: [0]) }, to: try QueueName("q\(index)"))
            }
            let before = redis.roundTrips
            let stats = try broker.stats()
            XCTAssertEqual(stats.count, queues)
            XCTAssertEqual(stats.map(\.ready).reduce(0, +), Int64(queues * messagesEach))
            return redis.roundTrips - before
        }
        XCTAssertEqual(try roundTrips(queues: 10, messagesEach: 1), 3)
        XCTAssertEqual(try roundTrips(queues: 300, messagesEach: 1), 3)
        XCTAssertEqual(try roundTrips(queues: 2, messagesEach: 5_000), 3)
    }

    func testWrongKeyTypeIsNamed() throws {
        let k = broker.keys.queue(orders)
        try redis.send("SADD", "mq:queues", "orders")
        try redis.send("SET", k.delayed, "oops")
        XCTAssertThrowsError(try broker.stats([orders])) { error in
            XCTAssertEqual(error as? MQError, .wrongKeyType(key: k.delayed, expected: "sorted set", actual: "string"))
        }
    }

    func testQueueAdmin() throws {
        XCTAssertThrowsError(try broker.setPaused(orders, true)) { XCTAssertEqual($0 as? MQError, .queueNotFound("orders")) }
        var config = try broker.createQueue(orders, QueueConfigChange(maxLength: 100, maxAttempts: 5))
        XCTAssertEqual(config.maxLength, 100)
        XCTAssertEqual(config.maxAttempts, 5)
        XCTAssertEqual(config.deadMax, 10_000)
        XCTAssertEqual(config.deadMaxAge, 180 * 86_400_000)
        config = try broker.configure(orders, QueueConfigChange(maxLength: 0, deadMaxAge: 86_400_000))
        XCTAssertNil(config.maxLength)
        XCTAssertEqual(config.maxAttempts, 5)
        XCTAssertEqual(config.deadMaxAge, 86_400_000)
        XCTAssertThrowsError(try broker.configure(orders, QueueConfigChange(maxAttempts: 0)))
        try broker.setPaused(orders, true)
        XCTAssertTrue(try broker.config(orders).paused)
        try broker.setPaused(orders, false)
        XCTAssertFalse(try broker.config(orders).paused)

        try redis.send("HSET", broker.keys.queue(orders).config, "max_length", "lots")
        XCTAssertThrowsError(try broker.config(orders)) { error in
            XCTAssertTrue("\(error)".contains("max_length is 'lots'"), "\(error)")
        }
        try redis.send("HSET", broker.keys.queue(orders).config, "max_length", "0")

        _ = try broker.enqueue((0..<1_200).map { _ in EnqueueRequest(payload: [0]) }, to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [0], runAt: start + 1000), to: orders)
        try redis.send("SET", "mq:{other}:ready:normal", "keep")
        XCTAssertThrowsError(try broker.deleteQueue(orders, force: false)) { error in
            XCTAssertEqual(error as? MQError, .queueNotEmpty(queue: "orders", messages: 1_201))
        }
        let deleted = try broker.deleteQueue(orders, force: true)
        XCTAssertEqual(deleted, 1_201 + 6, "envelopes, ready list, delayed set, config, enqueued total and minute bucket, wake list")
        XCTAssertEqual(try broker.queueNames(), [])
        XCTAssertEqual(try redis.send("DBSIZE").int(), 1, "only the other queue's key is left")
    }
}
