import Foundation
import MQCore
import MQRedis
import XCTest

final class EnqueueScriptTests: CoreTestCase {
    /// Table-driven: each request, the outcome, and where the id must be after.
    func testEnqueueStatesBeforeAndAfter() throws {
        let k = broker.keys.queue(orders)
        let cases: [(name: String, request: EnqueueRequest, outcome: (String) -> EnqueueOutcome, key: String, state: String)] = [
            ("normal by default", EnqueueRequest(payload: Array("a".utf8), id: "m1"), { .ready(id: $0) }, k.ready(.normal), "ready"),
            ("express tier", EnqueueRequest(payload: Array("b".utf8), priority: .express, id: "m2"), { .ready(id: $0) }, k.ready(.express), "ready"),
            ("urgent tier", EnqueueRequest(payload: Array("c".utf8), priority: .urgent, id: "m3"), { .ready(id: $0) }, k.ready(.urgent), "ready"),
            ("future run-at is delayed", EnqueueRequest(payload: Array("d".utf8), runAt: start + 60_000, id: "m4"), { .delayed(id: $0) }, k.delayed, "delayed"),
            ("past run-at is ready", EnqueueRequest(payload: Array("e".utf8), runAt: start - 1, id: "m5"), { .ready(id: $0) }, k.ready(.normal), "ready"),
        ]
        for item in cases {
            let outcome = try broker.enqueue(item.request, to: orders)
            XCTAssertEqual(outcome, item.outcome(item.request.id!), item.name)
            let members = item.key == k.delayed ? Array(try zset(item.key).keys) : try list(item.key)
            XCTAssertTrue(members.contains(item.request.id!), item.name)
            XCTAssertEqual(try field(orders, item.request.id!, "state"), item.state, item.name)
            XCTAssertEqual(try field(orders, item.request.id!, "attempts"), "0", item.name)
            XCTAssertEqual(try field(orders, item.request.id!, "max_attempts"), "25", item.name)
            XCTAssertEqual(try field(orders, item.request.id!, "enqueued_at"), String(start), item.name)
        }
        XCTAssertEqual(try zset(k.delayed), ["m4": start + 60_000])
        XCTAssertEqual(try list(k.ready(.normal)), ["m1", "m5"])
        XCTAssertEqual(try redis.send("SMEMBERS", "mq:queues"), .array([.bulk(Array("orders".utf8))]))
        XCTAssertEqual(try redis.send("GET", k.counter(.enqueued)).int(), 5)
    }

    func testEnvelopeFieldsAndHeaders() throws {
        let request = EnqueueRequest(payload: Array("p".utf8), headers: ["trace": "t-1", "a/b": "\"q\""], priority: .urgent,
                                     id: "env1", maxAttempts: 3)
        _ = try broker.enqueue(request, to: orders)
        let view = try broker.message(orders, id: "env1")
        XCTAssertEqual(view.envelope, Envelope(id: "env1", payload: Array("p".utf8), headers: ["trace": "t-1", "a/b": "\"q\""],
                                               priority: .urgent, attempts: 0, maxAttempts: 3, enqueuedAt: start, runAt: start,
                                               state: .ready))
        XCTAssertEqual(try field(orders, "env1", "headers"), #"{"a/b":"\"q\"","trace":"t-1"}"#)
    }

    func testEveryByteValueRoundTrips() throws {
        let payload = (0...255).map { UInt8($0) }
        _ = try broker.enqueue(EnqueueRequest(payload: payload, id: "bin"), to: orders)
        XCTAssertEqual(try broker.message(orders, id: "bin").envelope.payload, payload)
    }

    func testDuplicateIdIsRefusedAndNothingIsOverwritten() throws {
        _ = try broker.enqueue(EnqueueRequest(payload: Array("first".utf8), id: "same"), to: orders)
        let before = try keyCount()
        XCTAssertThrowsError(try broker.enqueue(EnqueueRequest(payload: Array("second".utf8), priority: .express, id: "same"), to: orders)) { error in
            XCTAssertEqual(error as? MQError, .messageExists(queue: "orders", id: "same"))
        }
        XCTAssertEqual(try field(orders, "same", "payload"), "first")
        XCTAssertEqual(try list(broker.keys.queue(orders).ready(.express)), [])
        XCTAssertEqual(try keyCount(), before)
    }

    func testIdempotencyKeyReturnsTheFirstIdAndAddsNothing() throws {
        let first = try broker.enqueue(EnqueueRequest(payload: Array("a".utf8), idempotencyKey: "order-42"), to: orders)
        guard case .ready(let id) = first else { return XCTFail("\(first)") }
        let second = try broker.enqueue(EnqueueRequest(payload: Array("b".utf8), idempotencyKey: "order-42"), to: orders)
        XCTAssertEqual(second, .duplicate(id: id))
        XCTAssertEqual(try list(broker.keys.queue(orders).ready(.normal)), [id])
        let ttl = try redis.send("PTTL", broker.keys.queue(orders).idempotency("order-42")).int()
        XCTAssertTrue((Broker.idempotencyTTL - 5_000...Broker.idempotencyTTL).contains(ttl), "\(ttl)")
        XCTAssertEqual(try redis.send("GET", broker.keys.queue(orders).counter(.enqueued)).int(), 1)
    }

    func testMaxLengthRefusesAndWritesNothing() throws {
        try broker.createQueue(orders, QueueConfigChange(maxLength: 2))
        _ = try broker.enqueue(EnqueueRequest(payload: [1], id: "a"), to: orders)
        _ = try broker.enqueue(EnqueueRequest(payload: [2], runAt: start + 1000, id: "b"), to: orders)
        let before = try keyCount()
        XCTAssertThrowsError(try broker.enqueue(EnqueueRequest(payload: [3], id: "c", idempotencyKey: "k"), to: orders)) { error in
            XCTAssertEqual(error as? MQError, .queueFull(queue: "orders", maxLength: 2))
        }
        XCTAssertEqual(try keyCount(), before + 2, "only the rejected counters (total, minute)")
        XCTAssertEqual(try redis.send("GET", broker.keys.queue(orders).counter(.rejected)).string(), "1")
        XCTAssertNil(try field(orders, "c", "payload"))
        XCTAssertEqual(try redis.send("EXISTS", broker.keys.queue(orders).idempotency("k")).int(), 0)
    }

    func testBulkEnqueueReportsEachOutcomeInOrder() throws {
        try broker.createQueue(orders, QueueConfigChange(maxLength: 1_203))
        _ = try broker.enqueue(EnqueueRequest(payload: [0], id: "taken"), to: orders)
        var requests = (0..<1_200).map { EnqueueRequest(payload: Array("m\($0)".utf8)) }
        requests.insert(EnqueueRequest(payload: [1], id: "taken"), at: 600)
        requests.append(EnqueueRequest(payload: [2], idempotencyKey: "once"))
        requests.append(EnqueueRequest(payload: [3], idempotencyKey: "once"))
        requests.append(EnqueueRequest(payload: [4]))
        requests.append(EnqueueRequest(payload: [5]))
        let before = redis.roundTrips
        let outcomes = try broker.enqueue(requests, to: orders)
        XCTAssertEqual(redis.roundTrips - before, 2, "SADD, then one pipeline of 3 script calls")
        XCTAssertEqual(outcomes.count, requests.count)
        XCTAssertEqual(outcomes[600], .idExists(id: "taken"))
        guard case .ready(let onceId) = outcomes[1201] else { return XCTFail("\(outcomes[1201])") }
        XCTAssertEqual(outcomes[1202], .duplicate(id: onceId))
        XCTAssertNotNil(outcomes[1203].readyId, "the last place under max_length")
        XCTAssertNotNil(outcomes[1204].refusedId, "over max_length")
        XCTAssertEqual(try redis.send("LLEN", broker.keys.queue(orders).ready(.normal)).int(), 1_203)
        // FIFO: the list holds the ready ids in request order.
        let readyIds = outcomes.compactMap(\.readyId)
        XCTAssertEqual(try list(broker.keys.queue(orders).ready(.normal)), ["taken"] + readyIds)
    }

    func testBulkEnqueuerWritesWhatOneByOneWouldInOrder() throws {
        let template = EnqueueRequest(payload: [], headers: ["src": "import"], priority: .urgent, maxAttempts: 3)
        let bulk = try BulkEnqueuer(broker, queue: orders, template: template)
        // Three full calls (two in flight while the third is built) and a tail.
        let payloads = (0..<1_634).map { Array("m\($0)".utf8) }
        for payload in payloads { try bulk.add(payload) }
        try bulk.finish()
        XCTAssertEqual([bulk.written, bulk.rejected, bulk.notWritten, bulk.unconfirmed], [1_634, 0, 0, 0])
        let ids = try list(broker.keys.queue(orders).ready(.urgent))
        XCTAssertEqual(ids.count, 1_634)
        XCTAssertEqual(ids, ids.sorted(), "ids are ULIDs in add order")
        for (index, id) in [(0, ids[0]), (1_633, ids[1_633])] {
            let envelope = try broker.message(orders, id: id).envelope
            XCTAssertEqual(envelope, Envelope(id: id, payload: payloads[index], headers: ["src": "import"], priority: .urgent,
                                              attempts: 0, maxAttempts: 3, enqueuedAt: envelope.enqueuedAt,
                                              runAt: envelope.enqueuedAt, state: .ready))
        }
        XCTAssertEqual(try redis.send("GET", broker.keys.queue(orders).counter(.enqueued)).int(), 1_634)
        XCTAssertEqual(try redis.send("SMEMBERS", "mq:queues"), .array([.bulk(Array("orders".utf8))]))
    }

    func testBulkEnqueuerDelaysWithTheTemplateAndRefusesTheTailAtMaxLength() throws {
        try broker.createQueue(orders, QueueConfigChange(maxLength: 700))
        _ = try broker.enqueue(EnqueueRequest(payload: [0], runAt: start + 1000, id: "first"), to: orders)
        let bulk = try BulkEnqueuer(broker, queue: orders, template: EnqueueRequest(payload: [], runAt: start + 60_000))
        for index in 0..<1_000 { try bulk.add(Array("d\(index)".utf8)) }
        try bulk.finish()
        XCTAssertEqual([bulk.written, bulk.rejected, bulk.notWritten], [699, 301, 0])
        let delayed = try zset(broker.keys.queue(orders).delayed)
        XCTAssertEqual(delayed.count, 700)
        XCTAssertEqual(Set(delayed.values), [start + 1000, start + 60_000])
        XCTAssertEqual(try field(orders, delayed.keys.max()!, "state"), "delayed")
        XCTAssertEqual(try redis.send("GET", broker.keys.queue(orders).counter(.rejected)).int(), 301)
        XCTAssertEqual(try redis.send("LLEN", broker.keys.queue(orders).wake).int(), 0, "nothing ready, no wake-up")
    }

    func testBulkEnqueuerRefusedCallsWriteNothingAndAreCounted() throws {
        try redis.send("SET", broker.keys.queue(orders).ready(.normal), "not a list")
        let bulk = try BulkEnqueuer(broker, queue: orders, template: EnqueueRequest(payload: []))
        XCTAssertThrowsError(try {
            for index in 0..<1_200 { try bulk.add(Array("x\(index)".utf8)) }
            try bulk.finish()
        }()) { error in
            XCTAssertEqual((error as? RedisServerError).flatMap(broker.explain),
                           .wrongKeyType(key: broker.keys.queue(orders).ready(.normal), expected: "list", actual: "string"))
        }
        XCTAssertEqual([bulk.written, bulk.notWritten, bulk.unconfirmed], [0, 1_200, 0])
        XCTAssertEqual(try keyCount(), 2, "the string and mq:queues, no envelope")
    }

    func testGeneratedIdsSortByTime() throws {
        let early = MessageID.generate(nowMilliseconds: start)
        let late = MessageID.generate(nowMilliseconds: start + 1)
        XCTAssertEqual(early.count, 26)
        XCTAssertLessThan(early, late)
        // The first 10 characters are the time, in Crockford base32.
        // Ids count up from the latest time the process has seen (other
        // tests use the real clock), so look a day past the real now.
        let future = Int64(Date().timeIntervalSince1970 * 1000) + 86_400_000
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        let time = MessageID.generate(nowMilliseconds: future).prefix(10).reduce(Int64(0)) { $0 * 32 + Int64(alphabet.firstIndex(of: $1)!) }
        XCTAssertEqual(time, future)
        // Within one millisecond (or when the clock steps back) ids still
        // come out unique and in order.
        let burst = (0..<1000).map { _ in MessageID.generate(nowMilliseconds: future) }
            + (0..<10).map { _ in MessageID.generate(nowMilliseconds: start) }
        XCTAssertEqual(Set(burst).count, burst.count)
        XCTAssertEqual(burst.sorted(), burst)
    }

    func testQueueNameRules() {
        for valid in ["orders", "a", "Orders.v2", "mail_out-1", "0queue", String(repeating: "q", count: 128)] {
            XCTAssertNoThrow(try QueueName(valid), valid)
        }
        for invalid in ["", "-orders", ".x", "_x", "a b", "a:b", "a{b}", "a*", "a?", "a[1]", "ünï", String(repeating: "q", count: 129)] {
            XCTAssertThrowsError(try QueueName(invalid), invalid) { error in
                XCTAssertEqual(error as? MQError, .invalidQueueName(invalid))
            }
        }
        for invalid in ["", "a b", "a{b}", "a*", String(repeating: "i", count: 129)] {
            XCTAssertThrowsError(try MessageID.validate(invalid), invalid)
        }
    }

    func testCorruptEnvelopesAreReportedNotCrashed() throws {
        let key = broker.keys.queue(orders).message("bad")
        try redis.send("HSET", key, "payload", "x", "priority", "sometimes", "state", "ready")
        XCTAssertThrowsError(try broker.message(orders, id: "bad")) { error in
            XCTAssertEqual(error as? MQError, .corruptEnvelope(key: key, reason: "field 'priority' is not express, urgent or normal"))
        }
        try redis.send("HSET", key, "priority", "normal", "attempts", "many")
        XCTAssertThrowsError(try broker.message(orders, id: "bad")) { error in
            XCTAssertTrue("\(error)".contains("field 'attempts' is not an integer"), "\(error)")
        }
        try redis.send("DEL", key)
        try redis.send("SET", key, "not a hash")
        XCTAssertThrowsError(try broker.message(orders, id: "bad")) { error in
            XCTAssertEqual((error as? RedisServerError)?.kind, .wrongType, "\(error)")
        }
    }
}

extension EnqueueOutcome {
    var readyId: String? {
        if case .ready(let id) = self { return id }
        return nil
    }

    var refusedId: String? {
        if case .queueFull(let id) = self { return id }
        return nil
    }
}
