import Foundation
import MQRedis
import XCTest

final class ExecWorkerTests: WorkerTestCase {
    func testAckRetryDeadPermanentAndEnvironment() throws {
        let handler = try script("handle.sh", """
            payload=$(cat)
            echo "$MQ_QUEUE|$MQ_ID|$MQ_ATTEMPT|$MQ_MAX_ATTEMPTS|$MQ_PRIORITY|$MQ_HEADERS|$payload" >> \(logPath)
            case "$payload" in
              fail*) echo "first line" >&2; echo "it broke: $payload" >&2; exit 3;;
              perm*) echo "cannot parse" >&2; exit 65;;
            esac
            """)
        try mqctl("enqueue", "orders", "good", "--id", "g1", "--priority", "urgent", "--header", "trace=t1")
        try mqctl("enqueue", "orders", "fail me", "--id", "f1", "--max-attempts", "3")
        try mqctl("enqueue", "orders", "perm", "--id", "p1")
        let worker = try startWorker(["orders", "--backoff", "fixed", "--backoff-base", "100ms", "--", handler])
        try eventually("f1 used its 3 attempts") { try count("ZCARD", "mq:{orders}:dead") == 2 }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)

        let lines = handled()
        XCTAssertTrue(lines.contains("orders|g1|1|25|urgent|{\"trace\":\"t1\"}|good"), "\(lines)")
        XCTAssertEqual(lines.filter { $0.contains("|f1|") }.map { $0.split(separator: "|")[2] }, ["1", "2", "3"])
        XCTAssertEqual(lines.filter { $0.contains("|p1|") }.count, 1, "a permanent failure is not retried")
        XCTAssertEqual(try redis.send("HGET", "mq:{orders}:msg:f1", "last_error").string(), "exit 3: first line\nit broke: fail me")
        XCTAssertEqual(try redis.send("HGET", "mq:{orders}:msg:f1", "attempts").string(), "3")
        XCTAssertEqual(try redis.send("HGET", "mq:{orders}:msg:p1", "last_error").string(), "exit 65: cannot parse")
        XCTAssertEqual(try redis.send("EXISTS", "mq:{orders}:msg:g1").int(), 0, "acked messages are gone")
        XCTAssertEqual(try redis.send("GET", "mq:{orders}:count:processed").int(), 1)
        XCTAssertEqual(try redis.send("GET", "mq:{orders}:count:failed").int(), 4)
        XCTAssertEqual(try count("ZCARD", "mq:{orders}:inflight"), 0)
        XCTAssertTrue(workerLog().contains("worker started"), workerLog())
    }

    /// A setting corrupted while the worker runs cannot be worked around:
    /// the worker stops with exit 65 naming it instead of cycling every
    /// message, and nothing is lost: the leases it held expire and return.
    func testACorruptSettingStopsTheWorkerInsteadOfWedgingIt() throws {
        try mqctl("queues", "create", "orders")
        _ = try redis.send("HSET", "mq:{orders}:config", "dead_max", "lots")
        let refused = try startWorker(["orders", "--", "/bin/true"])
        XCTAssertEqual(wait(refused), 65, "a corrupt setting at start is refused")
        XCTAssertTrue(workerLog().contains("field dead_max is 'lots'"), workerLog())

        _ = try redis.send("HDEL", "mq:{orders}:config", "dead_max")
        let handler = try script("fail.sh", "sleep 0.2; exit 1\n")
        for index in 0..<20 { try mqctl("enqueue", "orders", "m\(index)", "--max-attempts", "1") }
        let worker = try startWorker(["orders", "--lease", "2s", "--", handler])
        try eventually("the worker runs") { try count("ZCARD", "mq:{orders}:dead") > 0 }
        _ = try redis.send("HSET", "mq:{orders}:config", "dead_max", "lots")
        XCTAssertEqual(wait(worker), 65)
        XCTAssertTrue(workerLog(1).contains("stopping: queue setting mq:{orders}:config field dead_max is 'lots'"), workerLog(1))
        let total = try count("LLEN", "mq:{orders}:ready:normal") + count("ZCARD", "mq:{orders}:inflight")
            + count("ZCARD", "mq:{orders}:retry") + count("ZCARD", "mq:{orders}:dead")
        XCTAssertEqual(total, 20, "every message is in one state")
    }

    /// Unreadable envelopes fetched in one batch with good ones: the good
    /// ones run, each bad one goes to the dead letters with its reason,
    /// and the batch is not retried forever.
    func testUnreadableEnvelopesAreDeadLetteredWithoutStoppingTheBatch() throws {
        let handler = try script("log.sh", "echo \"$MQ_ID\" >> \(logPath)\n")
        for id in ["good1", "badcount", "notahash", "gone", "good2"] { try mqctl("enqueue", "orders", id, "--id", id) }
        try redis.send("HSET", "mq:{orders}:msg:badcount", "attempts", "many")
        try redis.send("DEL", "mq:{orders}:msg:notahash")
        try redis.send("SET", "mq:{orders}:msg:notahash", "text")
        try redis.send("DEL", "mq:{orders}:msg:gone")
        let worker = try startWorker(["orders", "--batch", "5", "--burst", "--", handler])
        XCTAssertEqual(wait(worker), 0, workerLog())

        XCTAssertEqual(Set(handled()), ["good1", "good2"])
        let dead = try redis.send("ZRANGE", "mq:{orders}:dead", "0", "-1").array().map { try $0.string() }
        XCTAssertEqual(Set(dead), ["badcount", "notahash", "gone"])
        XCTAssertEqual(try redis.send("HGET", "mq:{orders}:msg:badcount", "last_error").string(),
                       "unreadable message: corrupt envelope at mq:{orders}:msg:badcount: field 'attempts' is not an integer")
        XCTAssertEqual(try redis.send("GET", "mq:{orders}:msg:notahash").string(), "text", "a key of another type is left as it is")
        XCTAssertEqual(try count("ZCARD", "mq:{orders}:inflight"), 0)
    }

    func testTimeoutKillsTheWholeProcessGroup() throws {
        let pidFile = folder.appendingPathComponent("grandchild.pid").path
        let handler = try script("slow.sh", """
            sleep 30 &
            echo $! > \(pidFile)
            wait
            """)
        try mqctl("enqueue", "orders", "x", "--id", "slow", "--max-attempts", "1")
        let worker = try startWorker(["orders", "--handler-timeout", "1s", "--", handler])
        try eventually("the timeout sent it to dead") { try count("ZCARD", "mq:{orders}:dead") == 1 }
        let error = try redis.send("HGET", "mq:{orders}:msg:slow", "last_error").string()
        XCTAssertTrue(error.hasPrefix("timed out after 1s"), error)
        let grandchild = pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        try eventually(timeout: 5, "the handler's own child is gone too") { kill(grandchild, 0) != 0 }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)
    }

    func testStrictPriorityAndPausedQueues() throws {
        let handler = try script("log.sh", "cat >> \(logPath); echo >> \(logPath)\n")
        for index in 0..<5 {
            try mqctl("enqueue", "orders", "normal-\(index)")
            try mqctl("enqueue", "orders", "express-\(index)", "--priority", "express")
            try mqctl("enqueue", "orders", "urgent-\(index)", "--priority", "urgent")
        }
        try mqctl("queues", "create", "held")
        try mqctl("queues", "pause", "held")
        try mqctl("enqueue", "held", "must-wait")
        let worker = try startWorker(["orders", "held", "--burst", "--", handler])
        XCTAssertEqual(wait(worker), 0)
        let order = handled().filter { !$0.isEmpty }
        XCTAssertEqual(order, (0..<5).map { "express-\($0)" } + (0..<5).map { "urgent-\($0)" } + (0..<5).map { "normal-\($0)" })
        XCTAssertEqual(try count("LLEN", "mq:{held}:ready:normal"), 1, "a paused queue is not fetched")
    }

    func testSigtermLetsRunningHandlersFinishWithinGraceAndReturnsTheRest() throws {
        let handler = try script("nap.sh", """
            payload=$(cat)
            sleep "$payload"
            echo "$MQ_ID" >> \(logPath)
            """)
        try mqctl("enqueue", "orders", "0.5", "--id", "quick")
        try mqctl("enqueue", "orders", "20", "--id", "slow")
        let worker = try startWorker(["orders", "--concurrency", "2", "--grace", "2s", "--", handler])
        try eventually("both are running") { try count("ZCARD", "mq:{orders}:inflight") == 2 }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker, timeout: 15), 0, workerLog())
        XCTAssertEqual(handled(), ["quick"], "finished within the grace and acked")
        XCTAssertEqual(try redis.send("EXISTS", "mq:{orders}:msg:quick").int(), 0)
        XCTAssertEqual(try redis.send("LRANGE", "mq:{orders}:ready:normal", 0, -1), .array([.bulk(Array("slow".utf8))]))
        XCTAssertEqual(try redis.send("HGET", "mq:{orders}:msg:slow", "attempts").string(), "0", "the cut-short attempt is not counted")
        XCTAssertEqual(try count("ZCARD", "mq:{orders}:inflight"), 0)
        XCTAssertTrue(workerLog().contains("grace period over"), workerLog())
    }

    func testCircuitBreakerOpensAndCloses() throws {
        let flag = folder.appendingPathComponent("healthy").path
        let handler = try script("flaky.sh", """
            cat > /dev/null
            echo "$MQ_ID" >> \(logPath)
            [ -f \(flag) ] || { echo down >&2; exit 1; }
            """)
        for index in 0..<10 { try mqctl("enqueue", "orders", "m\(index)", "--id", "m\(index)") }
        let worker = try startWorker(["orders", "--circuit-breaker", "3", "--cooldown", "1s", "--backoff-base", "1h", "--", handler])
        try eventually("three failures open the breaker") { self.workerLog().contains("circuit breaker open") }
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(handled().count, 3, "nothing is fetched while open")
        FileManager.default.createFile(atPath: flag, contents: nil)
        try eventually("after the cooldown one trial succeeds and the rest follow") { try count("LLEN", "mq:{orders}:ready:normal") == 0 }
        try eventually("all handled") { self.handled().count == 10 }
        XCTAssertTrue(workerLog().contains("circuit breaker closed"), workerLog())
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)
    }

    func testIdleWorkerPicksUpNewMessagesAndHeartbeats() throws {
        let handler = try script("log.sh", "cat >> \(logPath); echo >> \(logPath)\n")
        let worker = try startWorker(["orders", "--", handler])
        try eventually("registered") { try self.mqctl("workers", "--json").stdout.contains("\"status\":\"OK\"") }
        let listed = try mqctl("workers", "--json").stdout
        XCTAssertTrue(listed.contains("\"queues\":\"orders\""), listed)
        try mqctl("enqueue", "orders", "late arrival")
        try eventually(timeout: 5, "picked up") { self.handled().first == "late arrival" }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)
        XCTAssertFalse(try mqctl("workers", "--json").stdout.contains("\"queues\":\"orders\""), "unregistered on exit")
    }

    func testEventsAreStreamed() throws {
        let handler = try script("ok.sh", "cat > /dev/null\n")
        try mqctl("queues", "create", "orders")
        let events = Process()
        events.executableURL = binary
        events.arguments = ["events", "orders", "-o", "ndjson", "--count", "6", "-u", server.url]
        let out = Pipe()
        events.standardOutput = out
        try events.run()
        workers.append(events)
        Thread.sleep(forTimeInterval: 0.5)
        try mqctl("enqueue", "orders", "a", "--id", "e1")
        try mqctl("enqueue", "orders", "b", "--id", "e2")
        let worker = try startWorker(["orders", "--", handler])
        XCTAssertEqual(wait(events, timeout: 10), 0)
        let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        let objects = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let seen = objects.map { "\($0["event"]!) \($0["id"]!)" }
        XCTAssertTrue(objects.filter { $0["event"] as? String != "enqueued" }.allSatisfy { $0["attempt"] is Int }, "typed: \(objects)")
        XCTAssertEqual(seen, ["enqueued e1", "enqueued e2", "started e1", "succeeded e1", "started e2", "succeeded e2"])
        kill(worker.processIdentifier, SIGTERM)
        _ = wait(worker)
    }
}

final class WorkerOptionTests: WorkerTestCase {
    func testMaxJobsStopsTheWorker() throws {
        let handler = try script("log.sh", "cat >> \(logPath); echo >> \(logPath)\n")
        for index in 0..<5 { try mqctl("enqueue", "orders", "m\(index)") }
        let worker = try startWorker(["orders", "--max-jobs", "3", "--", handler])
        XCTAssertEqual(wait(worker), 0, workerLog())
        XCTAssertEqual(handled().filter { !$0.isEmpty }.count, 3)
        XCTAssertEqual(try count("LLEN", "mq:{orders}:ready:normal"), 2)
    }

    func testSecondSignalSkipsTheGrace() throws {
        let handler = try script("sleepy.sh", "cat > /dev/null; sleep 30\n")
        try mqctl("enqueue", "orders", "x", "--id", "s1")
        let worker = try startWorker(["orders", "--grace", "60s", "--", handler])
        try eventually("running") { try count("ZCARD", "mq:{orders}:inflight") == 1 }
        kill(worker.processIdentifier, SIGTERM)
        Thread.sleep(forTimeInterval: 0.3)
        kill(worker.processIdentifier, SIGINT)
        XCTAssertEqual(wait(worker, timeout: 10), 0, workerLog())
        XCTAssertEqual(try redis.send("LRANGE", "mq:{orders}:ready:normal", 0, -1), .array([.bulk(Array("s1".utf8))]))
        XCTAssertTrue(workerLog().contains("second signal"), workerLog())
    }

    func testReapReturnsExpiredLeasesForCron() throws {
        // A worker that died holding two messages: their leases expired.
        try mqctl("enqueue", "orders", "a", "--id", "l1")
        try mqctl("enqueue", "orders", "b", "--id", "l2", "--max-attempts", "1")
        for id in ["l1", "l2"] {
            _ = try redis.send("LREM", "mq:{orders}:ready:normal", 0, id)
            _ = try redis.send("ZADD", "mq:{orders}:inflight", 1, id)
            _ = try redis.send("HSET", "mq:{orders}:msg:\(id)", "state", "inflight", "attempts", 1, "worker", "gone:0:1")
        }
        let result = try mqctl("reap", "--json")
        XCTAssertEqual(result.code, 0)
        XCTAssertTrue(result.stdout.contains("\"retried\":1") && result.stdout.contains("\"dead\":1"), result.stdout)
        XCTAssertEqual(try count("ZCARD", "mq:{orders}:retry"), 1)
        XCTAssertEqual(try count("ZCARD", "mq:{orders}:dead"), 1)
        XCTAssertEqual(try count("ZCARD", "mq:{orders}:inflight"), 0)
        XCTAssertEqual(try redis.send("HGET", "mq:{orders}:msg:l1", "last_error").string(), "lease expired: the worker stopped answering")
        XCTAssertEqual(try redis.send("HEXISTS", "mq:{orders}:msg:l1", "worker").int(), 0)
    }

    func testUsageErrors() throws {
        XCTAssertEqual(try mqctl("work", "orders").code, 64, "no handler command")
        XCTAssertEqual(try mqctl("work", "--", "true").code, 64, "no queue")
        XCTAssertEqual(try mqctl("work", "orders", "--concurrency", "0", "--", "true").code, 64)
        XCTAssertEqual(try mqctl("work", "orders", "--backoff", "linear", "--", "true").code, 64)
        try mqctl("enqueue", "orders", "x")
        for missing in ["./no-such-handler", folder.path, "no-such-command-anywhere"] {
            XCTAssertEqual(try mqctl("work", "orders", "--", missing).code, 64, "a handler that cannot start is refused: \(missing)")
        }
        XCTAssertEqual(try count("LLEN", "mq:{orders}:ready:normal"), 1, "before anything was fetched")
        XCTAssertEqual(try count("ZCARD", "mq:{orders}:retry"), 0)
        let big = "big=" + String(repeating: "x", count: 70_000)
        XCTAssertEqual(try mqctl("enqueue", "orders", "x", "--header", big).code, 64, "headers a handler could never receive")
    }
}
