import Foundation
import XCTest

/// The built-in `asynq` layout. No asynq client installs on these machines,
/// so the data is written here exactly as asynq's source writes it
/// (internal/rdb/rdb.go enqueueCmd, retryCmd, archiveCmd; the TaskMessage
/// protobuf of internal/proto/asynq.proto, field numbers as in
/// ../shared/LAYOUTS.md §5), and checked as asynq's inspector would read it.
final class AsynqLayoutTests: CommandTestCase {
    /// A TaskMessage: 1 type, 2 payload, 3 id, 4 queue, 5 retry, 6 retried,
    /// 7 error_msg, 11 last_failed_at (proto3: zero values left out).
    func taskMessage(id: String, queue: String = "default", retried: UInt64 = 0, error: String? = nil, failedAt: UInt64 = 0) -> [UInt8] {
        func varint(_ value: UInt64) -> [UInt8] {
            var value = value, out: [UInt8] = []
            repeat {
                var byte = UInt8(value & 0x7F)
                value >>= 7
                if value > 0 { byte |= 0x80 }
                out.append(byte)
            } while value > 0
            return out
        }
        func text(_ field: UInt64, _ bytes: [UInt8]) -> [UInt8] { varint(field << 3 | 2) + varint(UInt64(bytes.count)) + bytes }
        func number(_ field: UInt64, _ value: UInt64) -> [UInt8] { value == 0 ? [] : varint(field << 3) + varint(value) }
        return text(1, Array("email:deliver".utf8)) + text(2, Array(#"{"to":"a@b"}"#.utf8)) + text(3, Array(id.utf8))
            + text(4, Array(queue.utf8)) + number(5, 3) + number(6, retried) + (error.map { text(7, Array($0.utf8)) } ?? [])
            + number(11, failedAt)
    }

    var now: Int { Int(Date().timeIntervalSince1970) }

    /// Three pending tasks, one retrying, two archived, as asynq leaves them.
    func seed() throws {
        _ = try redis("SADD", "asynq:queues", "default")
        for index in 1...3 {
            let id = "p\(index)"
            _ = try redis("HSET", "asynq:{default}:t:\(id)", "msg", taskMessage(id: id), "state", "pending",
                          "pending_since", String(Int64(now - 30 * (4 - index)) * 1_000_000_000))
            _ = try redis("LPUSH", "asynq:{default}:pending", id)
        }
        _ = try redis("HSET", "asynq:{default}:t:r1", "msg", taskMessage(id: "r1", retried: 1, error: "smtp timeout", failedAt: UInt64(now - 5)), "state", "retry")
        _ = try redis("ZADD", "asynq:{default}:retry", now + 60, "r1")
        for (id, error, age) in [("a1", "mailbox full", 7200), ("a2", "smtp timeout", 60)] {
            _ = try redis("HSET", "asynq:{default}:t:\(id)", "msg", taskMessage(id: id, retried: 3, error: error, failedAt: UInt64(now - age)), "state", "archived")
            _ = try redis("ZADD", "asynq:{default}:archived", now - age, id)
        }
    }

    func testStatsListAndReplayAsTheInspectorDoes() throws {
        try seed()
        let row = try XCTUnwrap((try json(run("stats", "-o", "json"))["queues"] as? [[String: Any]])?.first { $0["layout"] as? String == "asynq" })
        XCTAssertEqual(row["ready"] as? Int, 3)
        XCTAssertEqual(row["retry"] as? Int, 1)
        XCTAssertEqual(row["dead"] as? Int, 2)
        // Latency as currentStatsCmd: now − pending_since of the oldest (the right end).
        XCTAssertEqual(try XCTUnwrap(row["latency_seconds"] as? Double), 90, accuracy: 3)

        let listed = try XCTUnwrap(try json(run("--layout", "asynq", "dlq", "list", "default", "--error", "timeout", "-o", "json"))["items"] as? [[String: Any]])
        XCTAssertEqual(listed.map { $0["id"] as? String }, ["a2"])
        XCTAssertEqual(listed.first?["attempts"] as? Int, 3, "retried, from the protobuf")
        XCTAssertEqual(try json(run("dlq", "replay", "default", "--older-than", "1h", "--dry-run", "-o", "json"))["would_move"] as? Int, 1)

        XCTAssertEqual(try json(run("dlq", "replay", "default", "a1", "-y", "-o", "json"))["moved"] as? Int, 1)
        XCTAssertEqual(try redis("LINDEX", "asynq:{default}:pending", 0).string(), "a1", "LPUSHed, as RunTask does")
        let fields = try redis("HMGET", "asynq:{default}:t:a1", "state", "pending_since").array().map { try $0.optionalString() }
        XCTAssertEqual(fields[0], "pending")
        XCTAssertEqual(try XCTUnwrap(Double(fields[1] ?? "")) / 1e9, Date().timeIntervalSince1970, accuracy: 10)
        XCTAssertEqual(try redis("ZCARD", "asynq:{default}:archived").int(), 1)

        XCTAssertEqual(try json(run("retry", "kill", "default", "r1", "-o", "json"))["moved"] as? Int, 1)
        XCTAssertEqual(try redis("HGET", "asynq:{default}:t:r1", "state").string(), "archived", "state names its container")
        XCTAssertEqual(run("dlq", "purge", "default", "a2", "-y", "-q").code, 0)
        XCTAssertEqual(try redis("EXISTS", "asynq:{default}:t:a2").int(), 0, "as DeleteTask does")
        XCTAssertEqual(run("enqueue", "default", "x").code, 64)
    }
}
