import Foundation
import MQCore
import MQRedis
import MQTestSupport
import XCTest

/// The cron lock and the audit log as the commands use them: in process,
/// and as real processes for signals and a slow stdin.
final class LockAuditCommandTests: CommandTestCase {
    let lockKey = "mq:lock:dlq-replay:orders"

    // MARK: - Lock

    func testSkipIfLockedExitsZeroAndChangesNothing() throws {
        _ = try seedDead(connect(), count: 3)
        let other = try Broker(connection: connect(), prefix: "mq").lock("dlq-replay", queue: QueueName("orders"))
        defer { other.release() }

        let skipped = run("dlq", "replay", "orders", "--all", "--skip-if-locked")
        XCTAssertEqual(skipped.code, 0, skipped.stderr)
        XCTAssertEqual(skipped.stdout, "")
        XCTAssertTrue(skipped.stderr.hasPrefix("skipped: another run holds the lock 'dlq-replay:orders': \(NSUserName())@"), skipped.stderr)
        XCTAssertEqual(skipped.stderr.filter { $0 == "\n" }.count, 1, skipped.stderr)
        XCTAssertEqual(run("dlq", "replay", "orders", "--all", "--skip-if-locked", "-q").stderr, "")
        XCTAssertEqual(run("dlq", "replay", "orders", "--all").code, 75, "without the flag a held lock is still 75")
        XCTAssertEqual(run("dlq", "replay", "orders", "--all", "--skip-if-locked", "--no-lock").code, 64)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 3, "nothing replayed")
        XCTAssertEqual(try redis("EXISTS", "mq:audit").int(), 0, "no audit entry for a run that did nothing")
    }

    func testALockLeftByADeadRunOnThisHostIsTakenOverWithAWarning() throws {
        _ = try seedDead(connect(), count: 3)
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let holder = "\(NSUserName())@\(ProcessInfo.processInfo.hostName) pid \(dead.processIdentifier) since 2026-12-01T03:00:00Z"
        try redis("SET", lockKey, "\(holder) #7", "PX", 30_000)

        let result = run("dlq", "replay", "orders", "--all", "--json")
        XCTAssertEqual(try json(result)["moved"] as? Int, 3)
        XCTAssertEqual(result.stderr, "mqctl: warning: took over the lock 'dlq-replay:orders' from \(holder), which is no longer running\n")
        XCTAssertEqual(try redis("EXISTS", lockKey).int(), 0, "released at the end")
    }

    /// SIGTERM and SIGINT stop a locked run between batches and release
    /// the lock: the next run starts at once and finishes the job.
    func testSignalsReleaseTheLock() throws {
        for signal in [SIGTERM, SIGINT] {
            try server.flushAll()
            let ids = try seedDead(connect(), count: 3_000)
            let replay = try LiveRun(["dlq", "replay", "orders", "--all", "--batch", "100", "--rate", "1000", "-u", server.url])
            Thread.sleep(forTimeInterval: 0.7)
            kill(replay.process.processIdentifier, signal)
            let result = replay.finish()
            XCTAssertEqual(replay.process.terminationReason, .exit, "the signal was caught, not fatal")
            XCTAssertNotEqual(result.code, 0)
            let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
            XCTAssertTrue(result.stderr.contains("interrupted by \(name)"), result.stderr)
            XCTAssertEqual(try redis("EXISTS", lockKey).int(), 0, "\(name): released on the way out")
            let moved = try redis("LLEN", "mq:{orders}:ready:normal").int()
            XCTAssertGreaterThan(moved, 0)
            XCTAssertLessThan(moved, 3_000, "cut short")

            let rerun = run("dlq", "replay", "orders", "--all")
            XCTAssertEqual(rerun.code, 0, rerun.stderr)
            let ready = try redis("LRANGE", "mq:{orders}:ready:normal", 0, -1).array().map { try $0.string() }
            XCTAssertEqual(ready.sorted(), ids, "every message once")
        }
    }

    /// `(echo L1; sleep; echo L2) | mqctl dlq import`, with the sleep longer
    /// than the lock's TTL: the lock is renewed meanwhile, so both lines are
    /// imported, the run succeeds and the audit entry is written.
    func testASlowStdinKeepsTheLock() throws {
        let line = { (id: String) in #"{"id":"\#(id)","payload":"p","failed_at":"2026-11-22T18:47:50.735Z"}"# + "\n" }
        let slowImport = try LiveRun(["dlq", "import", "orders", "--json", "--lock-ttl", "600ms", "-u", server.url], stdin: true)
        slowImport.write(line("L1"))
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(try redis("EXISTS", "mq:lock:dlq-import:orders").int(), 1, "held while waiting")
        slowImport.write(line("L2"))
        let result = slowImport.finish()
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains(#""imported":2"#), result.stdout)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 2)
        XCTAssertEqual(try auditEntries().first?["command"], "dlq import")
        XCTAssertEqual(try redis("EXISTS", "mq:lock:dlq-import:orders").int(), 0)
    }

    // MARK: - Audit

    /// `$USER` is whatever the caller says; the uid is who they are.
    func testTheAuditNamesTheUserOfTheUidTheHostAndTheRedisUser() throws {
        _ = try seedDead(connect(), count: 1)
        let result = try mqctlProcess(["dlq", "purge", "orders", "--all", "--yes"],
                                      environment: ["MQCTL_URL": server.url, "USER": "anyone", "LOGNAME": "anyone"])
        XCTAssertEqual(result.code, 0, result.stderr)
        let entry = try XCTUnwrap(auditEntries().first)
        XCTAssertEqual(entry["by"], "\(NSUserName())@\(ProcessInfo.processInfo.hostName)")
        XCTAssertEqual(entry["redis_user"], "default")
        XCTAssertEqual(entry["outcome"], "completed")
    }

    /// ACL WHOAMI where the user may run it, else the name it logged in
    /// with: a least-privilege user lacks @slow, where WHOAMI lives.
    func testTheRedisUserOfAnACLLogin() throws {
        for (name, permissions) in [("admin", "~* &* +@all"), ("mq-worker", ACLTests.worker)] {
            let server = try RedisServer(.init(aclUser: (name: name, password: "pw", permissions: permissions)))
            XCTAssertEqual(mqctl(["queues", "create", "orders", "--user", name], environment: ["MQCTL_URL": server.url, "MQCTL_PASSWORD": "pw"]).code, 0)
            let result = mqctl(["dlq", "purge", "orders", "--all", "--yes", "--user", name],
                               environment: ["MQCTL_URL": server.url, "MQCTL_PASSWORD": "pw"])
            XCTAssertEqual(result.code, 0, result.stderr)
            let admin = try RedisConnection(configuration: server.configuration())
            let entry = try auditEntries(admin).first
            XCTAssertEqual(entry?["redis_user"], name)
        }
    }

    func testAnEntryCarriesTheOutcomeOfARunThatDidNotComplete() throws {
        let broker = try Broker(connection: connect(), prefix: "mq")
        XCTAssertNil(broker.auditReportingFailure(AuditEntry(command: "dlq replay", queue: "orders", counts: [("moved", 200)],
                                                             outcome: AuditOutcome(ending: Interrupted(signal: SIGTERM)))))
        XCTAssertNil(broker.auditReportingFailure(AuditEntry(command: "dlq purge", outcome: AuditOutcome(ending: CocoaError(.fileNoSuchFile)))))
        let entries = try auditEntries()
        XCTAssertEqual(entries[1]["outcome"], "interrupted: SIGTERM")
        XCTAssertEqual(entries[1]["moved"], "200")
        XCTAssertTrue(entries[0]["outcome"]?.hasPrefix("failed: ") == true, "\(entries[0])")
        XCTAssertEqual(AuditOutcome(ending: MQError.lockHeld(name: "x", holder: "a\nb")).description, "failed: another run holds the lock 'x': a")
    }

    /// A secondary write never fails a finished move: the variant returns
    /// the reason as a warning.
    func testAnAuditEntryThatCannotBeWrittenIsAWarning() throws {
        try redis("SET", "mq:audit", "not a stream")
        let broker = try Broker(connection: connect(), prefix: "mq")
        let warning = broker.auditReportingFailure(AuditEntry(command: "dlq replay", queue: "orders"))
        XCTAssertTrue(warning?.hasPrefix("the audit entry for 'dlq replay' was not written: WRONGTYPE") == true, "\(warning ?? "nil")")
        XCTAssertThrowsError(try broker.audit(AuditEntry(command: "dlq replay")))
    }

    /// Entries newest first, as field dictionaries.
    private func auditEntries(_ connection: RedisConnection? = nil) throws -> [[String: String]] {
        try (connection ?? connect()).send("XREVRANGE", "mq:audit", "+", "-").array().map { entry in
            let fields = try entry.array()[1].array().map { try $0.string() }
            return Dictionary(uniqueKeysWithValues: stride(from: 0, to: fields.count, by: 2).map { (fields[$0], fields[$0 + 1]) })
        }
    }
}

/// The built binary running in the background, its output collected and,
/// when asked, its stdin a pipe the test writes to.
private final class LiveRun {
    let process = Process()
    private let stdin = Pipe()
    private let stdout = Pipe()
    private let stderr = Pipe()

    init(_ arguments: [String], stdin takesInput: Bool = false) throws {
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
        process.arguments = arguments
        process.standardInput = takesInput ? stdin : FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
    }

    func write(_ text: String) {
        stdin.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Closes stdin and waits for the exit.
    func finish() -> CommandResult {
        try? stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(code: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                             stderr: String(decoding: err, as: UTF8.self))
    }
}
