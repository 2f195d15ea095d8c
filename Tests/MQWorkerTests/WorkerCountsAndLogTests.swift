import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// The worker's smaller promises (issue 15): exact counts, the limits it
/// was given reaching the handler, a log that says what happened and only
/// that, and a full or refusing Redis not wedging it.
final class WorkerCountsAndLogTests: WorkerTestCase {
    private func enqueue(_ count: Int, queue: String = "orders") throws {
        let lines = (0..<count).map { "m\($0)" }.joined(separator: "\n") + "\n"
        XCTAssertEqual(try mqctl("enqueue", queue, "--stdin", stdin: lines).code, 0)
    }

    func testMaxAttemptsReachesTheHandlerAndTheEnvelope() throws {
        let handler = try script("fail.sh", "echo \"$MQ_ID $MQ_ATTEMPT/$MQ_MAX_ATTEMPTS\" >> \(logPath); echo nope >&2; exit 1\n")
        try mqctl("enqueue", "orders", "x", "--id", "a")
        let worker = try startWorker(["orders", "--max-attempts", "2", "--backoff", "fixed", "--backoff-base", "100ms", "--", handler])
        try eventually("a is dead") { try count("ZCARD", "mq:{orders}:dead") == 1 }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)
        XCTAssertEqual(handled(), ["a 1/2", "a 2/2"])
        XCTAssertEqual(try redis.send("HGET", "mq:{orders}:msg:a", "max_attempts").string(), "2", "dlq show says the limit that applied")
    }

    func testMaxJobsIsExactWithConcurrencyAndInPipeMode() throws {
        try enqueue(100)
        let exec = try script("ok.sh", "echo \"$MQ_ID\" >> \(logPath); sleep 0.05\n")
        let first = try startWorker(["orders", "--max-jobs", "10", "--concurrency", "4", "--", exec])
        XCTAssertEqual(wait(first), 0)
        XCTAssertEqual(handled().count, 10)
        XCTAssertEqual(try redis.send("GET", "mq:{orders}:count:processed").int(), 10)

        try enqueue(3_000, queue: "bulk")
        let pipe = try startWorker(["bulk", "--pipe", "--max-jobs", "3000", "--concurrency", "2", "--", pipeHandler()])
        XCTAssertEqual(wait(pipe, timeout: 60), 0)
        XCTAssertEqual(try redis.send("GET", "mq:{bulk}:count:processed").int(), 3_000)
        XCTAssertEqual(try count("ZCARD", "mq:{bulk}:inflight"), 0, "nothing fetched beyond the limit is left leased")
    }

    func testFailuresRetriesAndDeadLettersAreLoggedAndDrainedOnce() throws {
        try mqctl("enqueue", "orders", "x", "--id", "f", "--max-attempts", "2")
        try mqctl("enqueue", "orders", "y", "--id", "g")
        let handler = try script("h.sh", "case \"$MQ_ID\" in f*) printf 'first line\\nsecond line\\n' >&2; exit 3;; esac\n")
        let worker = try startWorker(["orders", "--concurrency", "3", "--backoff", "fixed", "--backoff-base", "100ms", "--", handler])
        try eventually("f is dead") { try count("ZCARD", "mq:{orders}:dead") == 1 }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)
        let log = workerLog()
        XCTAssertTrue(log.contains("INFO failed, will retry queue=orders id=f attempt=1 max_attempts=2 error=\"exit 3: first line\" retry_in_seconds=0.100"), log)
        XCTAssertTrue(log.contains("WARN failed, attempts used up: dead-lettered queue=orders id=f attempt=2 max_attempts=2"), log)
        XCTAssertFalse(log.contains("second line"), "the first line of the error only")

        try enqueue(20)
        let burst = try startWorker(["orders", "--burst", "--concurrency", "3", "--", handler])
        XCTAssertEqual(wait(burst), 0)
        XCTAssertEqual(workerLog(1).components(separatedBy: "queues drained").count - 1, 1, "logged once, not per slot: \(workerLog(1))")

        // JSON lines keep counts and durations numbers.
        try mqctl("enqueue", "orders", "w", "--id", "f3", "--max-attempts", "2")
        let json = try startWorker(["orders", "--burst", "--log-format", "json", "--backoff", "fixed", "--backoff-base", "100ms", "--", handler])
        XCTAssertEqual(wait(json), 0)
        let lines = workerLog(2).split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let retry = try XCTUnwrap(lines.first { $0["msg"] as? String == "failed, will retry" }, workerLog(2))
        XCTAssertEqual(retry["attempt"] as? Int, 1)
        XCTAssertEqual(retry["max_attempts"] as? Int, 2)
        XCTAssertEqual(retry["retry_in_seconds"] as? Double, 0.1)
        let handled = try XCTUnwrap(lines.first { $0["msg"] as? String == "worker stopped" }?["handled"] as? Int, "a number, not a string")
        XCTAssertGreaterThanOrEqual(handled, 1)

        try mqctl("enqueue", "orders", "z", "--id", "f2", "--max-attempts", "1")
        let quiet = try startWorker(["orders", "--burst", "-q", "--", handler])
        XCTAssertEqual(wait(quiet), 0)
        XCTAssertFalse(workerLog(3).contains("INFO"), workerLog(3))
        XCTAssertTrue(workerLog(3).contains("WARN failed, attempts used up"), workerLog(3))
    }

    func testAFullRedisStillRunsMessagesAndTheirAcksFreeMemory() throws {
        let full = try RedisServer()
        let admin = try full.connect()
        for index in 0..<200 {
            _ = try admin.send("HSET", "mq:{orders}:msg:m\(index)", "payload", String(repeating: "x", count: 2_000), "headers", "{}",
                               "priority", "normal", "attempts", 0, "max_attempts", 25, "enqueued_at", 1, "run_at", 1, "state", "ready")
            _ = try admin.send("RPUSH", "mq:{orders}:ready:normal", "m\(index)")
        }
        _ = try admin.send("SADD", "mq:queues", "orders")
        let used = try admin.send("INFO", "memory").string().split(separator: "\r\n")
            .first { $0.hasPrefix("used_memory:") }.map { Int($0.dropFirst("used_memory:".count))! }!
        _ = try admin.send("CONFIG", "SET", "maxmemory-policy", "noeviction")
        _ = try admin.send("CONFIG", "SET", "maxmemory", used - 10_000)
        XCTAssertThrowsError(try admin.send("SET", "probe", "x"), "the server refuses writes")

        let worker = try startWorker(["orders", "--burst", "--pipe", "--", pipeHandler()], url: full.url)
        XCTAssertEqual(wait(worker, timeout: 30), 0, workerLog())
        XCTAssertEqual(handled().count, 200)
        XCTAssertEqual(try admin.send("ZCARD", "mq:{orders}:inflight").int(), 0)
        XCTAssertTrue(workerLog().contains("Redis is full (maxmemory): heartbeats are refused"), workerLog())
    }

    func testARefusedSettleDoesNotHoldTheWorkerAgainstSigterm() throws {
        let server = try RedisServer(RedisServer.Options(aclUser: (name: "worker", password: "pw", permissions: "on >pw ~* &* +@all")))
        let admin = try server.connect()
        _ = try admin.send("SADD", "mq:queues", "orders")
        let url = "redis://worker:pw@127.0.0.1:\(server.port)/0"
        mqctlURL = url
        try mqctl("enqueue", "orders", "x", "--id", "a")
        let handler = try script("slow.sh", "echo started >> \(logPath); sleep 1\n")
        let worker = try startWorker(["orders", "--grace", "60s", "--", handler], url: url)
        try eventually("the handler runs") { handled() == ["started"] }
        // Scripts are refused from now on: the ack cannot be recorded.
        _ = try admin.send("ACL", "SETUSER", "worker", "-evalsha", "-eval")
        Thread.sleep(forTimeInterval: 1.5)
        kill(worker.processIdentifier, SIGTERM)
        let stopped = Date()
        XCTAssertNotNil(wait(worker, timeout: 10), "SIGTERM stops it without waiting out the 60 s grace")
        XCTAssertLessThan(Date().timeIntervalSince(stopped), 5)
        XCTAssertTrue(workerLog().contains("could not record results"), workerLog())
        XCTAssertEqual(try admin.send("ZCARD", "mq:{orders}:inflight").int(), 1, "the lease is left to expire, nothing lost")
    }

    func testAStallDuringTheAckIsNotReportedAsALostLease() throws {
        let server = try RedisServer()
        let handler = try script("ack.sh", "cat > /dev/null; echo done >> \(logPath); sleep 0.3\n")
        mqctlURL = server.url
        try mqctl("enqueue", "orders", "x", "--id", "a")
        let worker = try startWorker(["orders", "--timeout", "300ms", "--lease", "30s", "--", handler], url: server.url)
        try eventually("the handler runs") { handled() == ["done"] }
        server.signal(SIGSTOP) // the ack is sent into the stall and its reply never comes
        Thread.sleep(forTimeInterval: 1.5)
        server.signal(SIGCONT)
        let admin = try server.connect()
        try eventually("acked") { try admin.send("GET", "mq:{orders}:count:processed").optionalString() == "1" }
        Thread.sleep(forTimeInterval: 0.5)
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)
        XCTAssertFalse(workerLog().contains("lease lost"), workerLog())
        XCTAssertEqual(handled(), ["done"], "it did not run again")
    }

    func testStoppingAPipeWorkerLogsNoProtocolErrors() throws {
        for run in 0..<4 {
            try enqueue(500, queue: "q\(run)")
            let before = handled().count
            let worker = try startWorker(["q\(run)", "--pipe", "--concurrency", "2", "--", pipeHandler()])
            try eventually("handling") { handled().count > before + 50 }
            kill(worker.processIdentifier, SIGTERM)
            XCTAssertEqual(wait(worker), 0)
            XCTAssertFalse(workerLog(run).contains("unexpected reply"), workerLog(run))
            XCTAssertFalse(workerLog(run).contains("ERROR"), workerLog(run))
        }
    }
}
