import MQCore
import MQRedis
import MQTestSupport
import XCTest

/// The core's moves on corrupted state: keys of the wrong type, envelopes
/// that are not hashes, settings that are not numbers. Each move either
/// refuses before its first write or moves each message on its own; none
/// drops a message or leaves one in no state.
final class CorruptStateTests: CoreTestCase {
    private var k: QueueKeys { broker.keys.queue(orders) }

    /// Dead letters d0..d(n-1), as the kill script leaves them.
    private func seedDead(_ count: Int) throws -> [String] {
        let ids = (0..<count).map { "d\($0)" }
        for id in ids {
            _ = try redis.send("HSET", k.message(id), "payload", "p", "headers", "{}", "priority", "normal", "attempts", 3,
                               "max_attempts", 3, "enqueued_at", start, "run_at", start, "state", "dead", "failed_at", start)
            _ = try redis.send("ZADD", k.dead, start, id)
        }
        return ids
    }

    private func assertRefused(_ expected: MQError, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            // Refused by a script's checks, or by the read before it.
            let refusal = (error as? RedisServerError).flatMap(MQError.init(scriptRefusal:)) ?? error as? MQError
            XCTAssertEqual(refusal, expected, "\(error)", file: file, line: line)
        }
    }

    func testReplayLeavesAStringEnvelopeDeadAndMovesTheRest() throws {
        let ids = try seedDead(5)
        _ = try redis.send("DEL", k.message("d2"))
        _ = try redis.send("SET", k.message("d2"), "not a hash")
        let outcomes = try broker.replay(orders, ids: ids, keepAttempts: false)
        XCTAssertEqual(outcomes, [.moved, .moved, .skipped, .moved, .moved])
        XCTAssertEqual(try list(k.ready(.normal)), ["d0", "d1", "d3", "d4"])
        XCTAssertEqual(try zset(k.dead), ["d2": start])
    }

    func testReplayIntoAWrongTypeReadyListMovesNothing() throws {
        let ids = try seedDead(3)
        _ = try redis.send("SET", k.ready(.normal), "oops")
        assertRefused(.wrongKeyType(key: k.ready(.normal), expected: "list", actual: "string")) {
            _ = try broker.replay(orders, ids: ids, keepAttempts: false)
        }
        XCTAssertEqual(try zset(k.dead).count, 3, "every letter is still dead")
        XCTAssertEqual(try field(orders, "d0", "state"), "dead")
    }

    func testPromoteAndRunNowRefuseAWrongTypeReadyList() throws {
        _ = try broker.enqueue(EnqueueRequest(payload: [1], runAt: start + 1_000, id: "later"), to: orders)
        _ = try redis.send("SET", k.ready(.urgent), "oops")
        clock.advance(milliseconds: 2_000)
        assertRefused(.wrongKeyType(key: k.ready(.urgent), expected: "list", actual: "string")) { _ = try broker.promote(orders) }
        assertRefused(.wrongKeyType(key: k.ready(.urgent), expected: "list", actual: "string")) {
            _ = try broker.runNow(orders, ids: ["later"])
        }
        XCTAssertEqual(Array(try zset(k.delayed).keys), ["later"], "the message is still delayed")
        XCTAssertEqual(try field(orders, "later", "state"), "delayed")
    }

    func testPromoteDeadLettersUnreadableEnvelopesInsteadOfDroppingThem() throws {
        _ = try broker.enqueue(EnqueueRequest(payload: [1], runAt: start + 1_000, id: "good"), to: orders)
        for id in ["string", "missing"] { _ = try redis.send("ZADD", k.delayed, start + 1_000, id) }
        _ = try redis.send("SET", k.message("string"), "garbage")
        _ = try redis.send("ZADD", k.retry, start + 1_000, "list-envelope")
        _ = try redis.send("RPUSH", k.message("list-envelope"), "x")
        clock.advance(milliseconds: 2_000)
        let result = try broker.promote(orders)
        XCTAssertEqual(result, PromoteResult(queue: orders, fromDelayed: 1, fromRetry: 0, deadLettered: 3))
        XCTAssertEqual(try list(k.ready(.normal)), ["good"])
        XCTAssertEqual(Set(try zset(k.dead).keys), ["string", "missing", "list-envelope"])
        XCTAssertEqual(try redis.send("GET", k.message("string")).optionalString(), "garbage", "the bytes are kept for a look")
        XCTAssertEqual(try redis.send("GET", k.counter(.dead)).optionalString(), "3")

        _ = try redis.send("ZADD", k.retry, start, "r-string")
        _ = try redis.send("SET", k.message("r-string"), "garbage")
        let runNow = try broker.runNow(orders, ids: ["r-string", "ghost"], from: .retry)
        XCTAssertEqual(runNow, MoveResult(moved: 0, deadLettered: 1, notFound: ["ghost"]))
        XCTAssertNotNil(try zset(k.dead)["r-string"])
    }

    func testReapRefusesAWrongTypeRetrySetAndDeadLettersAnUnreadableLease() throws {
        for id in ["a", "b"] { _ = try broker.enqueue(EnqueueRequest(payload: [1], id: id), to: orders) }
        let deliveries = try broker.fetch(orders, count: 2, lease: 1_000, token: "t")
        XCTAssertEqual(deliveries.count, 2)
        _ = try redis.send("ZADD", k.inflight, start + 1_000, "broken")
        _ = try redis.send("SET", k.message("broken"), "garbage")
        clock.advance(milliseconds: 5_000)

        _ = try redis.send("SET", k.retry, "oops")
        assertRefused(.wrongKeyType(key: k.retry, expected: "sorted set", actual: "string")) { _ = try broker.reap(orders) }
        XCTAssertEqual(try zset(k.inflight).count, 3, "nothing left inflight before the refusal")

        _ = try redis.send("DEL", k.retry)
        let reaped = try broker.reap(orders)
        XCTAssertEqual(reaped.retried, 2)
        XCTAssertEqual(reaped.dead, 1)
        XCTAssertEqual(Set(try zset(k.retry).keys), ["a", "b"])
        XCTAssertEqual(Array(try zset(k.dead).keys), ["broken"])
        XCTAssertTrue(try zset(k.inflight).isEmpty, "the reaper is not blocked by the unreadable lease")
    }

    func testEnqueueRefusedMidBatchWritesNoEnvelope() throws {
        _ = try redis.send("HSET", k.idempotency("k2"), "f", "v")
        let requests = (0..<3).map { EnqueueRequest(payload: [UInt8($0)], id: "m\($0)", idempotencyKey: "k\($0)") }
        XCTAssertThrowsError(try broker.enqueue(requests[2], to: orders))
        let outcomes = try broker.enqueue(requests, to: orders)
        XCTAssertEqual(outcomes.map(\.isNotWritten), [true, true, true])
        XCTAssertEqual(try redis.send("EXISTS", k.message("m0"), k.message("m1"), k.message("m2")).int(), 0,
                       "no envelope is left without its id in a list")
        _ = try redis.send("DEL", k.idempotency("k2"))
        XCTAssertEqual(try broker.enqueue(requests, to: orders).map(\.isNotWritten), [false, false, false])
        XCTAssertEqual(try list(k.ready(.normal)), ["m0", "m1", "m2"], "the same ids can be enqueued once the key is fixed")
    }

    func testWrongTypeCounterOrWakeListRefusesEnqueueBeforeAnyWrite() throws {
        for key in [k.counter(.enqueued), k.wake] {
            _ = try redis.send("SADD", key, "x")
            let outcomes = try broker.enqueue((0..<10).map { EnqueueRequest(payload: [UInt8($0)]) }, to: orders)
            XCTAssertTrue(outcomes.allSatisfy(\.isNotWritten), key)
            XCTAssertEqual(try redis.send("LLEN", k.ready(.normal)).int(), 0, key)
            _ = try redis.send("DEL", key)
        }
    }

    func testACorruptSettingIsRefusedBeforeAnyWrite() throws {
        _ = try broker.enqueue(EnqueueRequest(payload: [1], id: "a"), to: orders)
        let deliveries = try broker.fetch(orders, count: 1, lease: 60_000, token: "t")
        _ = try redis.send("HSET", k.config, "dead_max", "lots")
        let setting = MQError.corruptSetting(key: k.config, field: "dead_max", value: "lots")
        assertRefused(setting) {
            try broker.settle([(deliveries[0], .failed(error: "boom", permanent: true), nil)])
        }
        XCTAssertEqual(try zset(k.inflight).count, 1, "the message is still inflight, its lease intact")
        XCTAssertThrowsError(try broker.config(orders)) { XCTAssertEqual($0 as? MQError, setting) }
        assertRefused(setting) { _ = try broker.kill(orders, ids: ["a"], from: .inflight, error: nil) }
        _ = try redis.send("HSET", k.config, "dead_max", "10", "max_length", "-1")
        assertRefused(.corruptSetting(key: k.config, field: "max_length", value: "-1")) {
            _ = try broker.enqueue(EnqueueRequest(payload: [1]), to: orders)
        }
    }

    func testZeroTurnsEitherDeadLetterCapOff() throws {
        _ = try broker.createQueue(orders, QueueConfigChange(deadMax: 0, deadMaxAge: 0))
        let ids = try seedDead(30)
        _ = try redis.send("ZADD", k.dead, 1, "ancient")
        _ = try redis.send("HSET", k.message("ancient"), "payload", "p")
        XCTAssertEqual(try broker.trimDead(orders), 0)
        XCTAssertEqual(try zset(k.dead).count, ids.count + 1)

        _ = try broker.configure(orders, QueueConfigChange(deadMax: 10))
        XCTAssertEqual(try broker.trimDead(orders), 21, "dead_max applies, dead_max_age still off")
        XCTAssertNil(try zset(k.dead)["ancient"])
    }
}

private extension EnqueueOutcome {
    var isNotWritten: Bool {
        if case .notWritten = self { return true }
        return false
    }
}
