import Foundation
import MQRedis
import MQTestSupport
import XCTest

final class ChaosWorkerTests: WorkerTestCase {
    func testPipeModeHandlesBatchesAndReportsFailures() throws {
        let handler = try pipeHandler(failing: "bad")
        let lines = (0..<300).map { "message \($0)" } + ["a bad one"]
        try mqctl("enqueue", "orders", "--stdin", stdin: lines.joined(separator: "\n") + "\n")
        let worker = try startWorker(["orders", "--pipe", "--concurrency", "2", "--burst", "--", handler])
        XCTAssertEqual(wait(worker), 0, workerLog())
        XCTAssertEqual(Set(handled()).count, 301)
        XCTAssertEqual(try redis.send("GET", "mq:{orders}:count:processed").int(), 300)
        XCTAssertEqual(try count("ZCARD", "mq:{orders}:dead"), 1)
        XCTAssertEqual(try count("ZCARD", "mq:{orders}:inflight"), 0)
    }

    func testPipeHandlerThatDiesIsRestartedAndItsMessagesRetried() throws {
        let marker = folder.appendingPathComponent("died-once").path
        let handler = try script("dies.sh", """
            while IFS= read -r line; do
              id=$(printf '%s' "$line" | sed -n 's/.*"id":"\\([^"]*\\)".*/\\1/p')
              if [ ! -f \(marker) ]; then touch \(marker); exit 9; fi
              echo "$id" >> \(logPath)
              printf '{"id":"%s","ok":true}\\n' "$id"
            done
            """)
        for index in 0..<5 { try mqctl("enqueue", "orders", "m\(index)", "--id", "m\(index)") }
        let worker = try startWorker(["orders", "--pipe", "--batch", "5", "--backoff", "fixed", "--backoff-base", "100ms", "--", handler])
        try eventually("all five handled after the restart") { Set(self.handled()).count == 5 }
        try eventually("acked") { try self.redis.send("GET", "mq:{orders}:count:processed").int() == 5 }
        XCTAssertEqual(try redis.send("GET", "mq:{orders}:count:failed").int(), 5, "the batch the dead handler held was retried")
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)
    }

    /// 2,000 messages; the worker is SIGKILLed at random moments 10 times
    /// and started again, with a short lease. Every message is handled at
    /// least once, none is lost or stuck, duplicates stay within kills ×
    /// messages in hand.
    func testWorkerKilledTenTimesLosesNothing() throws {
        let total = 2_000
        let batch = 20
        let handler = try pipeHandler()
        try mqctl("enqueue", "orders", "--stdin", stdin: (0..<total).map { "job \($0)" }.joined(separator: "\n") + "\n")
        let arguments = ["orders", "--pipe", "--batch", String(batch), "--lease", "1s", "--backoff", "fixed", "--backoff-base", "10ms", "--", handler]
        var kills = 0
        for _ in 0..<10 {
            let worker = try startWorker(arguments)
            Thread.sleep(forTimeInterval: Double.random(in: 0.1...0.4))
            kill(worker.processIdentifier, SIGKILL)
            worker.waitUntilExit()
            kills += 1
        }
        let finisher = try startWorker(arguments + [])
        try eventually(timeout: 60, "everything processed") {
            try self.redis.send("GET", "mq:{orders}:count:processed").int() == Int64(total)
        }
        kill(finisher.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(finisher), 0)

        let ids = handled()
        let unique = Set(ids)
        XCTAssertEqual(unique.count, total, "every message handled at least once")
        XCTAssertLessThanOrEqual(ids.count - unique.count, kills * batch, "duplicates within kills × messages in hand")
        for key in ["ready:express", "ready:urgent", "ready:normal"] {
            XCTAssertEqual(try count("LLEN", "mq:{orders}:\(key)"), 0)
        }
        for key in ["inflight", "retry", "delayed", "dead"] {
            XCTAssertEqual(try count("ZCARD", "mq:{orders}:\(key)"), 0, key)
        }
        XCTAssertEqual(try redis.send("KEYS", "mq:{orders}:msg:*").array().count, 0, "no envelope left behind")
    }

    func testRedisRestartMidRunIsSurvived() throws {
        let durable = try RedisServer(.init(appendOnly: true))
        let handler = try script("slowish.sh", "cat > /dev/null; sleep 0.01; echo x >> \(logPath)\n")
        let enqueue = Process()
        enqueue.executableURL = binary
        enqueue.arguments = ["enqueue", "orders", "--stdin", "-u", durable.url, "-q"]
        let input = Pipe()
        enqueue.standardInput = input
        try enqueue.run()
        input.fileHandleForWriting.write(Data((0..<300).map { "m\($0)" }.joined(separator: "\n").utf8 + [10]))
        try input.fileHandleForWriting.close()
        enqueue.waitUntilExit()

        let worker = try startWorker(["orders", "--lease", "2s", "--", handler], url: durable.url)
        try eventually("some handled") { self.handled().count > 20 }
        durable.stop()
        Thread.sleep(forTimeInterval: 1)
        try durable.start()
        // AOF keeps what was acknowledged before the restart; an ack whose
        // reply was lost is sent again and finds the message gone, so the
        // count ends at exactly 300.
        try eventually(timeout: 60, "drained after the restart") {
            try durable.connect().send("GET", "mq:{orders}:count:processed").optionalString() == "300"
        }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)
        XCTAssertGreaterThanOrEqual(handled().count, 300, "every message handled at least once")
        XCTAssertTrue(workerLog().contains("Redis unreachable or busy; trying again"), workerLog())
        let after = try durable.connect()
        XCTAssertEqual(try after.send("ZCARD", "mq:{orders}:dead").int(), 0)
        XCTAssertEqual(try after.send("LLEN", "mq:{orders}:ready:normal").int(), 0)
    }
}

final class StreamWorkerTests: WorkerTestCase {
    func testStreamWorkerAcksRetriesAndDeadLetters() throws {
        let handler = try script("stream.sh", """
            payload=$(cat)
            echo "$MQ_ID|$MQ_ATTEMPT|$payload|$MQ_HEADERS" >> \(logPath)
            case "$payload" in
              bad*) echo "cannot do it" >&2; exit 3;;
            esac
            """)
        _ = try redis.send("XGROUP", "CREATE", "events:orders", "billing", "$", "MKSTREAM")
        for index in 0..<5 { _ = try redis.send("XADD", "events:orders", "*", "payload", "job \(index)", "tenant", "acme") }
        _ = try redis.send("XADD", "events:orders", "*", "payload", "bad one")
        let worker = try startWorker(["--stream", "events:orders", "--group", "billing", "--consumer", "w1",
                                      "--lease", "1s", "--max-attempts", "2", "--", handler])
        try eventually(timeout: 30, "the bad entry used its two attempts") {
            try self.redis.send("XLEN", "events:orders:dead").int() == 1
        }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0, workerLog())
        let lines = handled()
        XCTAssertEqual(lines.filter { $0.contains("|job ") }.count, 5)
        XCTAssertTrue(lines.contains { $0.contains("|1|job 0|{\"tenant\":\"acme\"}") }, "\(lines)")
        XCTAssertEqual(lines.filter { $0.contains("|bad one|") }.map { $0.split(separator: "|")[1] }, ["1", "2"])
        XCTAssertEqual(try redis.send("XPENDING", "events:orders", "billing").array()[0].int(), 0, "nothing left pending")
        let dead = try redis.send("XRANGE", "events:orders:dead", "-", "+").array()[0].array()[1].array().map { try $0.string() }
        XCTAssertEqual(dead[dead.firstIndex(of: "reason")! + 1], "exit 3: cannot do it")
        XCTAssertEqual(dead[dead.firstIndex(of: "payload")! + 1], "bad one")

        let missing = try mqctl("work", "--stream", "events:orders", "--group", "nope", "--", "true")
        XCTAssertEqual(missing.code, 64)
        XCTAssertTrue(missing.stderr.contains("stream 'events:orders' has no group 'nope'; create it with: mqctl streams group create events:orders nope --mkstream"), missing.stderr)
        let noStream = try mqctl("work", "--stream", "events:none", "--group", "billing", "--", "true")
        XCTAssertEqual(noStream.code, 64)
        XCTAssertTrue(noStream.stderr.contains("stream 'events:none' does not exist; create it with: mqctl streams group create events:none billing --mkstream"), noStream.stderr)
        XCTAssertFalse(noStream.stderr.contains("no such key"), noStream.stderr)
    }
}
