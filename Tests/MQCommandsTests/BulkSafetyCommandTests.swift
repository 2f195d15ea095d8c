import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// Bulk commands on bad state and a full Redis: each says what it did
/// before it failed, and a re-run neither loses nor doubles a message.
final class BulkSafetyCommandTests: CommandTestCase {
    /// The JSON object a command printed, whatever its exit code.
    private func object(_ result: CommandResult) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout + result.stderr)
    }

    private func lines(_ count: Int) -> String {
        (0..<count).map { "line \($0)" }.joined(separator: "\n") + "\n"
    }

    func testAWrongTypeCounterRefusesBulkEnqueueWithASummaryAndARetryAddsNoDuplicates() throws {
        _ = try redis("SADD", "mq:{orders}:count:enqueued", "x")
        let refused = run("enqueue", "orders", "--stdin", "--json", stdin: lines(1_000))
        XCTAssertEqual(refused.code, 65, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("mqctl: enqueued 0 before stopping"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("key mq:{orders}:count:enqueued is a set, expected a string"), refused.stderr)
        let partial = try object(refused)
        XCTAssertEqual(partial["completed"] as? Bool, false)
        XCTAssertEqual(partial["not_written"] as? Int, 1_000)
        XCTAssertEqual(try redis("LLEN", "mq:{orders}:ready:normal").int(), 0)

        _ = try redis("DEL", "mq:{orders}:count:enqueued")
        XCTAssertEqual(try json(run("enqueue", "orders", "--stdin", "--json", stdin: lines(1_000)))["enqueued"] as? Int, 1_000)
        XCTAssertEqual(try redis("LLEN", "mq:{orders}:ready:normal").int(), 1_000, "a retry gives 1,000, not 2,000")
    }

    func testACorruptSettingIsExit65NamingKeyAndFieldAndQueuesConfigMendsIt() throws {
        XCTAssertEqual(run("queues", "create", "orders").code, 0)
        _ = try redis("HSET", "mq:{orders}:config", "dead_max", "lots")
        for command in [["queues", "list"], ["reap", "orders"]] {
            let result = mqctl(command, environment: environment)
            XCTAssertEqual(result.code, 65, "\(command): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("mq:{orders}:config field dead_max is 'lots'"), "\(command): \(result.stderr)")
        }
        XCTAssertEqual(run("queues", "config", "orders", "--dead-max", "1000000000000000").code, 64, "settings are range-checked when written")
        XCTAssertEqual(run("queues", "config", "orders", "--dead-max", "100").code, 0, "a good value replaces the bad one")
        XCTAssertEqual(run("reap", "orders").code, 0)

        _ = try redis("HSET", "mq:{orders}:config", "max_attempts", "-3")
        let enqueue = run("enqueue", "orders", "x")
        XCTAssertEqual(enqueue.code, 65, enqueue.stderr)
        XCTAssertTrue(enqueue.stderr.contains("field max_attempts is '-3'"), enqueue.stderr)
        XCTAssertEqual(run("queues", "config", "orders", "--max-attempts", "5").code, 0)
        XCTAssertEqual(run("enqueue", "orders", "x").code, 0)
    }

    func testAWrongTypeAuditStreamIsAWarningAfterTheWork() throws {
        _ = try redis("SET", "mq:audit", "x")
        let result = run("enqueue", "orders", "--stdin", "--json", stdin: lines(10))
        XCTAssertEqual(try json(result)["enqueued"] as? Int, 10)
        XCTAssertTrue(result.stderr.contains("warning: the audit entry for 'enqueue' was not written"), result.stderr)
    }

    func testAFullRedisStopsBulkEnqueueWithTheExactCount() throws {
        _ = try redis("CONFIG", "SET", "maxmemory-policy", "noeviction")
        let used = try redis("INFO", "memory").string().split(separator: "\r\n")
            .first { $0.hasPrefix("used_memory:") }.map { Int($0.dropFirst("used_memory:".count))! }!
        _ = try redis("CONFIG", "SET", "maxmemory", used + 3_000_000)
        defer { _ = try? redis("CONFIG", "SET", "maxmemory", 0) }
        let payload = String(repeating: "x", count: 200)
        let input = (0..<40_000).map { "\($0) \(payload)" }.joined(separator: "\n") + "\n"
        let result = run("enqueue", "orders", "--stdin", "--json", stdin: input)
        XCTAssertNotEqual(result.code, 0)
        let written = Int(try redis("LLEN", "mq:{orders}:ready:normal").int())
        XCTAssertGreaterThan(written, 0)
        XCTAssertLessThan(written, 40_000)
        XCTAssertTrue(result.stderr.contains("mqctl: enqueued \(BulkFigures.grouped(written)) before stopping"), result.stderr)
        XCTAssertTrue(result.stderr.contains("OOM"), result.stderr)
        let partial = try object(result)
        XCTAssertEqual(partial["enqueued"] as? Int, written)
    }

    /// A stall past --timeout: the calls answered are counted as done, the
    /// three in flight (500 messages each) as unconfirmed (Redis runs them
    /// when it wakes up).
    func testAStalledRedisStopsBulkEnqueueCountingTheUnansweredCall() throws {
        let server = try RedisServer()
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["enqueue", "orders", "--stdin", "--timeout", "500ms"]
        process.environment = ["MQCTL_URL": server.url, "PATH": "/usr/bin:/bin"]
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(lines(20_000).utf8))
        let redis = try server.connect()
        let deadline = Date().addingTimeInterval(20)
        while try redis.send("LLEN", "mq:{orders}:ready:normal").int() < 20_000 && Date() < deadline { usleep(20_000) }
        server.signal(SIGSTOP)
        input.fileHandleForWriting.write(Data(lines(10_000).utf8))
        try input.fileHandleForWriting.close()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        server.signal(SIGCONT)
        XCTAssertEqual(process.terminationStatus, 69, stderr)
        XCTAssertTrue(stderr.contains("mqctl: enqueued 20,000 before stopping; 1,500 more were sent without a reply and may or may not have been enqueued"), stderr)
        let after = try server.connect().send("LLEN", "mq:{orders}:ready:normal").int()
        XCTAssertTrue((20_000...21_500).contains(after), "\(after)")
    }

    func testReplayStopsAtAWrongTypeReadyListHavingMovedNothing() throws {
        _ = try seedDead(connect(), count: 600)
        _ = try redis("SET", "mq:{orders}:ready:normal", "oops")
        let result = run("dlq", "replay", "orders", "--all", "--no-lock")
        XCTAssertEqual(result.code, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("mqctl: moved 0 of 600; 600 left; re-run to continue"), result.stderr)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 600, "nothing left the dead set")
        let entry = try redis("XREVRANGE", "mq:audit", "+", "-", "COUNT", 1).array()[0].array()[1].array().map { try $0.string() }
        XCTAssertTrue(entry.contains { $0.contains("failed: key mq:{orders}:ready:normal is a string") }, "\(entry)")
    }

    func testImportRefusesWhatTheCapsWouldDeleteUnlessAllowed() throws {
        let ids = try seedDead(connect(), queue: "source", count: 1_200)
        XCTAssertEqual(ids.count, 1_200)
        let export = run("dlq", "export", "source")
        XCTAssertEqual(export.code, 0, export.stderr)
        XCTAssertEqual(run("queues", "create", "small", "--dead-max", "1000").code, 0)

        let refused = run("dlq", "import", "small", "--no-lock", stdin: export.stdout)
        XCTAssertEqual(refused.code, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("would make the caps of 'small' delete up to 200 dead letters"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("mqctl: imported 1,000 before stopping"), refused.stderr)
        XCTAssertEqual(try redis("ZCARD", "mq:{small}:dead").int(), 1_000)

        let second = run("dlq", "import", "small", "--allow-trim", "--no-lock", "--json", stdin: export.stdout)
        XCTAssertEqual(second.code, 1, "the ids imported before exist")
        let allowed = try object(second)
        XCTAssertEqual(allowed["imported"] as? Int, 200)
        XCTAssertEqual(allowed["exists"] as? Int, 1_000)
        XCTAssertEqual(allowed["trimmed"] as? Int, 200, "every trim is counted")

        XCTAssertEqual(run("queues", "config", "small", "--dead-max", "0").code, 0)
        let reaped = try XCTUnwrap(try json(run("reap", "small", "--no-lock", "--json"))["queues"] as? [[String: Any]])
        XCTAssertEqual(reaped.first?["trimmed"] as? Int, 0)
        XCTAssertEqual(try redis("ZCARD", "mq:{small}:dead").int(), 1_000, "dead-max 0 is no limit, not delete everything")
    }

    func testAReplayToAnotherQueueCutShortIsFinishedWithoutDoubling() throws {
        let ids = try seedDead(connect(), count: 10)
        let connection = try connect()
        // A replay cut short after the target got the letters: journaled
        // here, written there with a receipt, still dead here.
        let token = "T1"
        for id in ids {
            _ = try connection.send("HSET", "mq:{orders}:transfers", id, "billing \(token)")
            _ = try connection.send("SET", "mq:{billing}:receipt:orders:\(id)", token, "PX", 60_000)
        }
        // ...and the target's worker already handled them: nothing of them is left there.
        XCTAssertEqual(try connection.send("EXISTS", "mq:{billing}:msg:\(ids[0])").int(), 0)

        XCTAssertEqual(try json(run("dlq", "replay", "orders", ids[0], "--json"))["skipped"] as? Int, 1,
                       "a replay within the queue leaves a letter in transit alone")
        let rerun = try json(run("dlq", "replay", "orders", "--all", "--to-queue", "billing", "--no-lock", "--json"))
        XCTAssertEqual(rerun["resumed"] as? Int, 10)
        XCTAssertEqual(rerun["moved"] as? Int, 0)
        XCTAssertEqual(try connection.send("LLEN", "mq:{billing}:ready:normal").int(), 0, "delivered once, not twice")
        XCTAssertEqual(try connection.send("ZCARD", "mq:{orders}:dead").int(), 0)
        XCTAssertEqual(try connection.send("EXISTS", "mq:{orders}:transfers").int(), 0)

        // A cut before the target got them: finished by delivering them once.
        let more = try seedDead(connection, count: 3)
        for id in more { _ = try connection.send("HSET", "mq:{orders}:transfers", id, "billing T2") }
        let finished = try json(run("dlq", "replay", "orders", "--all", "--to-queue", "billing", "--no-lock", "--json"))
        XCTAssertEqual(finished["resumed"] as? Int, 3)
        XCTAssertEqual(try connection.send("LLEN", "mq:{billing}:ready:normal").int(), 3)
    }
}

/// The figures as the stderr summary prints them.
enum BulkFigures {
    static func grouped(_ number: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return formatter.string(from: NSNumber(value: number))!
    }
}
