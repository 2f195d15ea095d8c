import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// Puts messages straight into the dead set, as the kill script leaves them.
func seedDead(_ connection: RedisConnection, queue: String = "orders", count: Int, failedAt: (Int) -> Int64 = { 1_795_370_400_000 + Int64($0) },
              payload: (Int) -> [UInt8] = { Array("payload \($0)".utf8) }, error: (Int) -> String = { "boom \($0)" }) throws -> [String] {
    let ids = (0..<count).map { String(format: "d%06d", $0) }
    var commands = [RedisCommand("SADD", "mq:queues", queue)]
    for (index, id) in ids.enumerated() {
        commands.append(RedisCommand("HSET", "mq:{\(queue)}:msg:\(id)", "payload", payload(index), "headers", "{}", "priority", "normal",
                                     "attempts", 25, "max_attempts", 25, "enqueued_at", 1_795_370_000_000, "run_at", 1_795_370_000_000,
                                     "state", "dead", "failed_at", failedAt(index), "last_error", error(index)))
        commands.append(RedisCommand("ZADD", "mq:{\(queue)}:dead", failedAt(index), id))
        if commands.count >= 10_000 {
            _ = try connection.pipeline(commands)
            commands = []
        }
    }
    _ = try connection.pipeline(commands)
    return ids
}

final class DLQCommandTests: CommandTestCase {
    func testListPagesWithACursorAndFilters() throws {
        let ids = try seedDead(connect(), count: 7, error: { $0 % 2 == 0 ? "timeout" : "refused" })
        let badCursor = run("dlq", "list", "orders", "--cursor", "abc")
        XCTAssertEqual(badCursor.code, 64)
        XCTAssertEqual(badCursor.stderr, "mqctl: error: cursor 'abc' is not one mqctl printed (SCORE:ID); give the next_cursor of the previous page\n")
        let first = try json(run("dlq", "list", "orders", "--limit", "3", "--json"))
        let items = try XCTUnwrap(first["items"] as? [[String: Any]])
        XCTAssertEqual(items.map { $0["id"] as? String }, [ids[6], ids[5], ids[4]])
        XCTAssertEqual(Set(items[0].keys), ["id", "failed_at", "age_seconds", "attempts", "priority", "last_error"])
        let cursor = try XCTUnwrap(first["next_cursor"] as? String)
        let rest = try json(run("dlq", "list", "orders", "--cursor", cursor, "--json"))
        XCTAssertEqual((rest["items"] as? [[String: Any]])?.map { $0["id"] as? String }, [ids[3], ids[2], ids[1], ids[0]])
        XCTAssertTrue(rest["next_cursor"] is NSNull)

        let ndjson = run("dlq", "list", "orders", "--error", "^ref", "-o", "ndjson")
        XCTAssertEqual(ndjson.stdout.split(separator: "\n").count, 3)
        let table = run("dlq", "list", "orders").stdout.split(separator: "\n")
        XCTAssertEqual(table.count, 8)
        XCTAssertTrue(table[0].hasPrefix("ID"), String(table[0]))
        XCTAssertEqual(run("dlq", "list", "orders", "--cursor", "nonsense").code, 64)
        XCTAssertEqual(run("dlq", "list", "orders", "--error", "(").code, 64)
    }

    func testShow() throws {
        let ids = try seedDead(connect(), count: 1)
        let shown = try json(run("dlq", "show", "orders", ids[0], "--json"))
        XCTAssertEqual(shown["last_error"] as? String, "boom 0")
        XCTAssertEqual(shown["state"] as? String, "dead")
        XCTAssertEqual(run("enqueue", "orders", "x", "--id", "alive").code, 0)
        let notDead = run("dlq", "show", "orders", "alive")
        XCTAssertEqual(notDead.code, 1)
        XCTAssertTrue(notDead.stderr.contains("is not a dead letter (state: ready)"), notDead.stderr)
    }

    func testReplayByFilterDryRunAndToQueue() throws {
        let ids = try seedDead(connect(), count: 10, error: { $0 < 4 ? "timeout" : "bad input" })
        let dry = try json(run("dlq", "replay", "orders", "--error", "timeout", "--dry-run", "--json"))
        XCTAssertEqual(dry["dry_run"] as? Bool, true)
        XCTAssertEqual(dry["would_move"] as? Int, 4)
        XCTAssertNil(dry["moved"], "a dry run says would_move, never moved")
        XCTAssertEqual((dry["sample"] as? [String])?.count, 4)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 10, "a dry run changes nothing")

        let replayed = try json(run("dlq", "replay", "orders", "--error", "timeout", "--json"))
        XCTAssertEqual(replayed["moved"] as? Int, 4)
        XCTAssertEqual(replayed["skipped"] as? Int, 0)
        XCTAssertEqual(replayed["not_found"] as? Int, 0)
        XCTAssertEqual(replayed["dry_run"] as? Bool, false)
        XCTAssertEqual(try redis("LLEN", "mq:{orders}:ready:normal").int(), 4)
        XCTAssertEqual(try redis("HGET", "mq:{orders}:msg:\(ids[0])", "attempts").string(), "0")

        let limited = try json(run("dlq", "replay", "orders", "--all", "--limit", "2", "--to-queue", "orders-b", "--keep-attempts", "--json"))
        XCTAssertEqual(limited["moved"] as? Int, 2)
        XCTAssertEqual(try redis("LLEN", "mq:{orders-b}:ready:normal").int(), 2)
        let moved = try redis("LINDEX", "mq:{orders-b}:ready:normal", 0).string()
        XCTAssertEqual(try redis("HGET", "mq:{orders-b}:msg:\(moved)", "attempts").string(), "25")

        let byId = run("dlq", "replay", "orders", ids[9], "ghost")
        XCTAssertEqual(byId.code, 1)
        XCTAssertEqual(run("dlq", "replay", "orders").code, 64, "no selection")
        XCTAssertEqual(run("dlq", "replay", "orders", "--all", "--error", "x").code, 64, "two selections")

        let audit = try redis("XREVRANGE", "mq:audit", "+", "-", "COUNT", 1).array()[0].array()[1].array().map { try $0.string() }
        XCTAssertTrue(audit.contains("dlq replay"), "\(audit)")
        XCTAssertTrue(audit.contains("selection"), "\(audit)")
    }

    func testPurgeNeedsYesWithoutATerminal() throws {
        _ = try seedDead(connect(), count: 5)
        let refused = run("dlq", "purge", "orders", "--all")
        XCTAssertEqual(refused.code, 64)
        XCTAssertTrue(refused.stderr.contains("--yes"), refused.stderr)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 5, "nothing deleted")
        let dry = try json(run("dlq", "purge", "orders", "--all", "--dry-run", "--json"))
        XCTAssertEqual(dry["would_delete"] as? Int, 5)
        let purged = try json(run("dlq", "purge", "orders", "--older-than", "1s", "--yes", "--json"))
        XCTAssertEqual(purged["deleted"] as? Int, 5)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 0)
        XCTAssertEqual(try redis("KEYS", "mq:{orders}:msg:*").array().count, 0, "envelopes gone too")
    }

    func testExportImportIsByteExact() throws {
        let binary = (0...255).map { UInt8($0) }
        let ids = try seedDead(connect(), count: 3, payload: { $0 == 1 ? binary : Array("text \($0)".utf8) },
                               error: { "line one\nline \"two\"\t\($0)" })
        _ = try redis("HSET", "mq:{orders}:msg:\(ids[2])", "headers", #"{"tenant":"acme","trace":"t/1"}"#, "priority", "urgent")
        let exported = run("dlq", "export", "orders")
        XCTAssertEqual(exported.code, 0, exported.stderr)
        let lines = exported.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(exported.stdout.contains("\"payload_encoding\":\"base64\""))

        let imported = try json(run("dlq", "import", "copy", "--json", stdin: exported.stdout))
        XCTAssertEqual(imported["imported"] as? Int, 3)
        for id in ids {
            for field in ["payload", "headers", "priority", "attempts", "max_attempts", "enqueued_at", "run_at", "failed_at", "last_error", "state"] {
                XCTAssertEqual(try redis("HGET", "mq:{copy}:msg:\(id)", field), try redis("HGET", "mq:{orders}:msg:\(id)", field), "\(id) \(field)")
            }
        }
        XCTAssertEqual(try redis("HGET", "mq:{copy}:msg:\(ids[1])", "payload").bytes(), binary)
        XCTAssertEqual(try redis("ZSCORE", "mq:{copy}:dead", ids[0]), try redis("ZSCORE", "mq:{orders}:dead", ids[0]))

        let again = run("dlq", "import", "copy", "--json", stdin: exported.stdout)
        XCTAssertEqual(again.code, 1)
        XCTAssertTrue(again.stderr.contains("message '\(ids[0])' already exists in 'copy'"), again.stderr)

        let toReady = try json(run("dlq", "import", "fresh", "--to", "ready", "--json", stdin: exported.stdout + "{oops\n").withCode(0))
        XCTAssertEqual(toReady["imported"] as? Int, 3)
        XCTAssertEqual(toReady["invalid"] as? Int, 1)
        XCTAssertEqual(try redis("LLEN", "mq:{fresh}:ready:normal").int(), 2)
        XCTAssertEqual(try redis("LLEN", "mq:{fresh}:ready:urgent").int(), 1)
        XCTAssertEqual(run("dlq", "import", "fresh2", stdin: "{oops\n").code, 65)
    }

    func testRetryListRunNowKill() throws {
        for index in 0..<4 {
            XCTAssertEqual(run("enqueue", "orders", "p\(index)", "--id", "r\(index)", "--delay", "1h").code, 0)
            _ = try redis("ZREM", "mq:{orders}:delayed", "r\(index)")
            _ = try redis("ZADD", "mq:{orders}:retry", 1_000 + index, "r\(index)")
            _ = try redis("HSET", "mq:{orders}:msg:r\(index)", "state", "retry", "last_error", "flaky \(index)")
        }
        let listed = try json(run("retry", "list", "orders", "--json"))
        let items = try XCTUnwrap(listed["retry"] as? [[String: Any]])
        XCTAssertEqual(items.map { $0["id"] as? String }, ["r0", "r1", "r2", "r3"])
        XCTAssertEqual(items[0]["last_error"] as? String, "flaky 0")

        XCTAssertEqual(try json(run("retry", "run-now", "orders", "r0", "--json"))["moved"] as? Int, 1)
        XCTAssertEqual(try redis("LRANGE", "mq:{orders}:ready:normal", 0, -1), .array([.bulk(Array("r0".utf8))]))
        XCTAssertEqual(try json(run("retry", "kill", "orders", "r1", "--json"))["moved"] as? Int, 1)
        XCTAssertEqual(try redis("HGET", "mq:{orders}:msg:r1", "last_error").string(), "flaky 1")
        XCTAssertEqual(try json(run("retry", "kill", "orders", "--all", "--json"))["moved"] as? Int, 2)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:retry").int(), 0)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 3)
        XCTAssertEqual(run("retry", "kill", "orders", "r1").code, 1, "not waiting any more")
        XCTAssertEqual(run("retry", "kill", "orders").code, 64)
    }
}

/// Replays as real processes: interrupted by SIGKILL, and two at once.
final class DLQProcessTests: RedisTestCase {
    func binary() -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
    }

    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = binary()
        process.arguments = arguments + ["-u", server.url]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func testReplayKilledMidwayAndRerunMovesEachMessageOnce() throws {
        let redis = try connect()
        let ids = try seedDead(redis, count: 20_000)
        let process = try start(["dlq", "replay", "orders", "--all", "--batch", "100", "--rate", "10000"])
        Thread.sleep(forTimeInterval: 0.7)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let movedBefore = try redis.send("LLEN", "mq:{orders}:ready:normal").int()
        XCTAssertGreaterThan(movedBefore, 0, "the first run did some of the work")
        XCTAssertLessThan(movedBefore, 20_000, "and was cut short")
        // Its lock stays until it expires; a re-run that skips the lock finishes the job.
        let rerun = try start(["dlq", "replay", "orders", "--all", "--no-lock"])
        rerun.waitUntilExit()
        XCTAssertEqual(rerun.terminationStatus, 0)
        let ready = try redis.send("LRANGE", "mq:{orders}:ready:normal", 0, -1).array().map { try $0.string() }
        XCTAssertEqual(ready.count, 20_000)
        XCTAssertEqual(Set(ready), Set(ids), "every message once, none lost")
        XCTAssertEqual(try redis.send("ZCARD", "mq:{orders}:dead").int(), 0)
    }

    func testTwoReplaysAtOnceOneWaitsOut() throws {
        _ = try seedDead(connect(), count: 3_000)
        let slow = try start(["dlq", "replay", "orders", "--all", "--batch", "100", "--rate", "2000"])
        Thread.sleep(forTimeInterval: 0.5)
        let second = Process()
        second.executableURL = binary()
        second.arguments = ["dlq", "replay", "orders", "--all", "-u", server.url]
        second.standardInput = FileHandle.nullDevice
        let err = Pipe()
        second.standardError = err
        second.standardOutput = FileHandle.nullDevice
        try second.run()
        second.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(second.terminationStatus, 75, message)
        XCTAssertTrue(message.contains("another run holds the lock 'dlq-replay:orders'"), message)
        slow.waitUntilExit()
        XCTAssertEqual(slow.terminationStatus, 0)
        XCTAssertEqual(try connect().send("LLEN", "mq:{orders}:ready:normal").int(), 3_000)
        XCTAssertEqual(try connect().send("EXISTS", "mq:lock:dlq-replay:orders").int(), 0, "released at the end")
    }
}
