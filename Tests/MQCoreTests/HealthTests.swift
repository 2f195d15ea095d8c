import MQCore
import MQRedis
import XCTest

/// The core side of monitoring: threshold ranges, readings that keep one
/// broken queue from spoiling the others, latency from the enqueue time,
/// and pause starts from the audit log.
final class HealthTests: CoreTestCase {
    func testThresholdRanges() throws {
        func range(_ text: String, percent: Bool = false) throws -> ThresholdRange { try ThresholdRange(parsing: text, percent: percent) }
        let cases: [(String, [Double: Bool], String)] = [
            ("10", [-1: true, 0: false, 10: false, 10.5: true], "10"),
            ("10:", [9.9: true, 10: false, 1e9: false], "10:"),
            ("~:10", [-1e9: false, 10: false, 11: true], "~:10"),
            ("10:20", [9: true, 10: false, 20: false, 21: true], "10:20"),
            ("@10:20", [9: false, 10: true, 20: true, 21: false], "@10:20"),
            ("0:2.5", [2.5: false, 2.6: true], "2.5"),
        ]
        for (text, values, shown) in cases {
            let parsed = try range(text)
            for (value, alerts) in values { XCTAssertEqual(parsed.alerts(value), alerts, "\(text) with \(value)") }
            XCTAssertEqual(parsed.description, shown)
        }
        XCTAssertEqual(try range("95%", percent: true), try range("95"))
        XCTAssertEqual(try range("80%:", percent: true).description, "80:")
        XCTAssertEqual(try range("10").violation(11), "> 10")
        XCTAssertEqual(try range("10:").violation(3), "< 10")
        XCTAssertEqual(try range("@1:5").violation(3), "in @1:5")
        XCTAssertNil(try range("10").violation(10))
        for bad in ["", ":", "abc", "5:1", "@", "1:2:3", "nan"] {
            XCTAssertThrowsError(try range(bad), bad)
        }
        XCTAssertThrowsError(try range("95%")) { XCTAssertTrue("\($0)".contains("a count, not a percentage"), "\($0)") }
        XCTAssertNotNil(ThresholdRange.misordered(warning: try range("10"), critical: try range("5")))
        XCTAssertNil(ThresholdRange.misordered(warning: try range("5"), critical: try range("10")))
        XCTAssertNotNil(ThresholdRange.misordered(warning: try range("5:"), critical: try range("10:")))
        XCTAssertNil(ThresholdRange.misordered(warning: try range("@1:5"), critical: try range("2")), "not comparable: allowed")
    }

    func testOneBrokenQueueIsReadAsItsOwnErrorInTheSameRoundTrips() throws {
        let bad = try QueueName("bad"), mail = try QueueName("mail")
        _ = try broker.enqueue(EnqueueRequest(payload: [1]), to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [1]), to: mail)
        try redis.send("SET", broker.keys.queue(bad).dead, "x")
        let before = redis.roundTrips
        let readings = try broker.statsReadings([orders, bad, mail])
        XCTAssertEqual(redis.roundTrips - before, 3, "one pipeline, one for the heads, one to name the broken key")
        XCTAssertEqual(try readings[0].get().ready, 1)
        XCTAssertEqual(try readings[2].get().ready, 1)
        guard case .failure(let error) = readings[1] else { return XCTFail("bad read") }
        XCTAssertEqual("\(error)", "key mq:{bad}:dead is a string, expected a sorted set")
        XCTAssertThrowsError(try broker.stats([orders, bad]), "the throwing form still fails on it")
    }

    func testLatencyFromTheEnqueueTimeAndTheWaitSinceDue() throws {
        _ = try broker.enqueue(EnqueueRequest(payload: [1], runAt: start + 60_000, id: "later"), to: orders)
        clock.advance(milliseconds: 90_000)
        _ = try broker.promote(orders)
        clock.advance(milliseconds: 5_000)
        let stats = try XCTUnwrap(try broker.stats([orders]).first)
        XCTAssertEqual(stats.latency, 95, "enqueued 95 s ago")
        XCTAssertEqual(stats.waitingSeconds, 35, "due at start + 60 s: promotion keeps the run-at")

        let idle = try XCTUnwrap(try broker.stats([try QueueName("idle")]).first)
        XCTAssertNil(idle.latency)
        XCTAssertNil(idle.waitingSeconds)
        XCTAssertEqual(idle.expiredLeases, 0)
        XCTAssertNil(idle.oldestDeadSeconds)

        let k = broker.keys.queue(orders)
        try redis.send("ZADD", k.inflight, start, "i-expired", start + 999_999, "i-held")
        try redis.send("ZADD", k.dead, start + 10_000, "d-old", start + 80_000, "d-new")
        let more = try XCTUnwrap(try broker.stats([orders]).first)
        XCTAssertEqual(more.expiredLeases, 1)
        XCTAssertEqual(more.oldestDeadSeconds, 85)
    }

    func testPauseStartsFromTheAuditLog() throws {
        let mail = try QueueName("mail"), spare = try QueueName("spare")
        XCTAssertEqual(try broker.pauseStarts([orders]), [orders: .unknown], "an empty log cannot tell")
        try broker.audit(AuditEntry(command: "queues pause", queue: "spare"))
        clock.advance(milliseconds: 1_000)
        try broker.audit(AuditEntry(command: "queues pause", queue: "orders"))
        try broker.audit(AuditEntry(command: "queues resume", queue: "spare"))
        for index in 0..<600 { try broker.audit(AuditEntry(command: "enqueue", queue: "q\(index)")) }
        let found = try broker.pauseStarts([orders, mail, spare])
        guard case .at(let at) = found[orders] else { return XCTFail("\(found)") }
        XCTAssertEqual(Double(at) / 1000, Date().timeIntervalSince1970, accuracy: 5, "the entry's id time")
        XCTAssertEqual(found[spare], .unknown, "resumed since its last pause: paused again without an entry")
        guard case .before = found[mail] else { return XCTFail("older than the log: \(found)") }
    }
}
