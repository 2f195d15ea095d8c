import Foundation
import MQCore
import MQRedis
import XCTest

/// `work --stream`'s attempts are the entries' delivery counts, read from
/// XPENDING over an id range; the range is only right when ids compare as
/// numbers (issue 15).
final class StreamAttemptTests: WorkerTestCase {
    func testStreamIDsCompareAsNumbers() throws {
        // In Redis's order. As text, `-10` sorts before `-9` and a
        // 13-digit millisecond before a 12-digit one.
        let texts = ["999999999999-0", "999999999999-9", "999999999999-10", "999999999999-100",
                     "1000000000000-0", "1700000000000-9", "1700000000000-10", "18446744073709551615-18446744073709551615"]
        XCTAssertNotEqual(texts.sorted(), texts, "as text they would not be in order")
        let ids = try texts.map { try XCTUnwrap(StreamID($0), $0) }
        XCTAssertEqual(ids.sorted(), ids)
        XCTAssertEqual(ids.map(\.description), texts)
        XCTAssertLessThan(StreamID(milliseconds: 1_700_000_000_000, sequence: 9), StreamID(milliseconds: 1_700_000_000_000, sequence: 10))
        XCTAssertEqual([StreamID("1700000000000-10")!, StreamID("1700000000000-9")!].min()?.description, "1700000000000-9")
        XCTAssertEqual(StreamID("1700000000000-10"), StreamID(milliseconds: 1_700_000_000_000, sequence: 10))

        // Range shorthands and malformed text are not entry ids.
        for text in ["", "-", "+", "5", "5-", "-5", "+5-1", "5-+1", "5-1-2", " 5-1", "5-a", "18446744073709551616-0"] {
            XCTAssertNil(StreamID(text), text)
        }
    }

    /// The worker asks XPENDING for the ids it just read or claimed. The
    /// range between them holds more of the consumer's entries than one
    /// page, and ids no longer pending for it must be left out, not
    /// counted as first deliveries.
    func testDeliveryCountsAreReadForExactlyTheIDsAsked() throws {
        _ = try redis.send("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        let ids = (0..<250).map { StreamID(milliseconds: 1_700_000_000_000, sequence: UInt64($0)) }
        for reply in try redis.pipeline(ids.map { RedisCommand("XADD", "s", $0.description, "payload", "x") }) {
            try reply.throwingError()
        }
        _ = try redis.send("XREADGROUP", "GROUP", "g", "mine", "COUNT", 250, "STREAMS", "s", ">")
        // Entry 9 delivered twice more (XCLAIM without JUSTID counts one
        // each), 10 acknowledged, 11 moved to another consumer.
        for _ in 0..<2 { _ = try redis.send("XCLAIM", "s", "g", "mine", 0, ids[9].description) }
        _ = try redis.send("XACK", "s", "g", ids[10].description)
        _ = try redis.send("XCLAIM", "s", "g", "theirs", 0, ids[11].description)

        let asked = [ids[249], ids[9], ids[10], ids[11], ids[0]]
        let counts = try Streams(connection: redis).deliveries("s", group: "g", consumer: "mine", ids: asked)
        XCTAssertEqual(counts, [ids[0]: 1, ids[9]: 3, ids[249]: 1])
    }

    /// 200 always-failing entries whose sequence numbers run past 9 and 99,
    /// 120 in one millisecond and 80 in the next, which has one more digit,
    /// so that batches of 50 span both: each entry is delivered exactly
    /// --max-attempts times, with attempts 1, 2, 3, then it is dead.
    func testAlwaysFailingEntriesUseExactlyTheirAttemptsThenDie() throws {
        _ = try redis.send("XGROUP", "CREATE", "events:orders", "billing", "$", "MKSTREAM")
        let ids = (0..<120).map { "999999999999-\($0)" } + (0..<80).map { "1000000000000-\($0)" }
        for reply in try redis.pipeline(ids.map { RedisCommand("XADD", "events:orders", $0, "payload", "job \($0)") }) {
            try reply.throwingError()
        }
        // The attempt as the handler is told it (MQ_ATTEMPT in exec mode).
        let handler = try script("fails.sh", """
            while IFS= read -r line; do
              id=$(printf '%s' "$line" | sed -n 's/.*"id":"\\([^"]*\\)".*/\\1/p')
              attempt=$(printf '%s' "$line" | sed -n 's/.*"attempt":\\([0-9]*\\).*/\\1/p')
              echo "$id|$attempt" >> \(logPath)
              printf '{"id":"%s","ok":false,"error":"always fails"}\\n' "$id"
            done
            """)
        let worker = try startWorker(["--stream", "events:orders", "--group", "billing", "--consumer", "w1", "--pipe",
                                      "--concurrency", "2", "--max-attempts", "3", "--lease", "1s", "--", handler])
        // Dead entries are acknowledged, so once all 200 are dead none can
        // be delivered again and the log is complete.
        try eventually(timeout: 40, "all 200 entries dead") { try self.redis.send("XLEN", "events:orders:dead").int() == 200 }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0, workerLog())

        var attempts: [String: [String]] = [:]
        for line in handled() {
            let parts = line.split(separator: "|").map(String.init)
            attempts[parts[0], default: []].append(parts.count > 1 ? parts[1] : "?")
        }
        XCTAssertEqual(Set(attempts.keys), Set(ids))
        let wrong = attempts.filter { $0.value != ["1", "2", "3"] }.sorted { $0.key < $1.key }
        XCTAssertTrue(wrong.isEmpty, "\(wrong.count) entries not delivered as attempts 1, 2, 3, e.g. \(wrong.prefix(5))")

        let dead = try redis.send("XRANGE", "events:orders:dead", "-", "+").array().map { entry in
            let values = try entry.array()[1].array().map { try $0.string() }
            return Dictionary(uniqueKeysWithValues: stride(from: 0, to: values.count - 1, by: 2).map { (values[$0], values[$0 + 1]) })
        }
        XCTAssertEqual(Set(dead.compactMap { $0["source_id"] }), Set(ids))
        XCTAssertEqual(Set(dead.map { $0["deliveries"] ?? "" }), ["3"])
        XCTAssertEqual(try redis.send("XPENDING", "events:orders", "billing").array()[0].int(), 0, "nothing left pending")
        // Each slot read as a consumer of its own.
        let consumers = try redis.send("XINFO", "CONSUMERS", "events:orders", "billing").array().map { try Self.field("name", of: $0) }
        XCTAssertEqual(Set(consumers), ["w1:0", "w1:1"])
        XCTAssertTrue(Set(dead.map { $0["consumer"] ?? "" }).isSubset(of: ["w1:0", "w1:1"]), "\(Set(dead.map { $0["consumer"] ?? "" }))")
    }

    /// Without --consumer the names are the worker id (as logged and as
    /// `mqctl workers` lists it) and the slot, so two workers on one host
    /// never share a consumer.
    func testDefaultConsumerNamesAreWorkerIDAndSlot() throws {
        _ = try redis.send("XGROUP", "CREATE", "events:orders", "billing", "$", "MKSTREAM")
        // Slow, so that a busy slot leaves the next entry to an idle one.
        let handler = try script("ok.sh", "cat > /dev/null; sleep 0.5\n")
        let first = try startWorker(["--stream", "events:orders", "--group", "billing", "--concurrency", "2", "--", handler])
        let second = try startWorker(["--stream", "events:orders", "--group", "billing", "--concurrency", "2", "--", handler])
        let workerIDs = try [0, 1].map { index -> String in
            try eventually("worker \(index) started") { self.workerLog(index).contains("worker started") }
            let line = try XCTUnwrap(workerLog(index).split(separator: "\n").first { $0.contains("worker started") })
            let id = try XCTUnwrap(line.split(separator: " ").first { $0.hasPrefix("id=") })
            return String(id.dropFirst(3))
        }
        XCTAssertNotEqual(workerIDs[0], workerIDs[1])
        let expected = Set(workerIDs.flatMap { id in ["\(id):0", "\(id):1"] })
        // A consumer joins the group with the first entry it reads, so
        // entries are added until every slot has read one.
        var names: Set<String> = []
        try eventually("all four slots in the group") {
            _ = try self.redis.send("XADD", "events:orders", "*", "payload", "job")
            names = Set(try self.redis.send("XINFO", "CONSUMERS", "events:orders", "billing").array().map { try Self.field("name", of: $0) })
            return names.count >= expected.count
        }
        XCTAssertEqual(names, expected)
        for worker in [first, second] {
            kill(worker.processIdentifier, SIGTERM)
            XCTAssertEqual(wait(worker), 0)
        }
    }

    /// One field of a flat XINFO reply.
    static func field(_ name: String, of reply: RedisReply) throws -> String {
        let items = try reply.array()
        let index = try XCTUnwrap(try items.firstIndex { try $0.string() == name }, "no \(name) in \(reply)")
        return try items[index + 1].string()
    }
}
