import Foundation
import MQCore
import MQRedis
import MQTestSupport
import XCTest

/// Issue 16, for the systems in shared/seeds: the test-queue service's
/// pub/sub channels (002), the IM app's `seq:{conversation}` counters and
/// `hb:{user}:{socket}` heartbeats (001). All against the real Redis.
final class SeedSignalsTests: CommandTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        Interruption.reset()
    }

    // MARK: events --channel / --pattern

    /// Runs `events` in this process on a thread of its own while
    /// `publish` runs here, once the subscriptions are in place.
    private func follow(_ arguments: [String], channels: [String] = [], patterns: Int = 0,
                        publish: (RedisConnection) throws -> Void) throws -> CommandResult {
        final class Box: @unchecked Sendable { var result: CommandResult? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let environment = self.environment
        Thread.detachNewThread {
            box.result = mqctl(["events"] + arguments, environment: environment)
            done.signal()
        }
        let publisher = try connect()
        try waitForSubscribers(publisher, channels: channels, patterns: patterns)
        try publish(publisher)
        if done.wait(timeout: .now() + 10) == .timedOut {
            // Free the listener rather than leave it blocked: enough filler
            // on every channel to reach any --count used here.
            for channel in channels + ["test:filler"] {
                for _ in 0..<10 { try publisher.send("PUBLISH", channel, "filler") }
            }
            _ = done.wait(timeout: .now() + 5)
            XCTFail("events did not end after its --count messages")
        }
        return try XCTUnwrap(box.result)
    }

    private func waitForSubscribers(_ connection: RedisConnection, channels: [String], patterns: Int) throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            var ready = try connection.send("PUBSUB", "NUMPAT").int() >= patterns
            if !channels.isEmpty {
                let counts = try connection.send(RedisCommand(["PUBSUB", "NUMSUB"] + channels)).array()
                ready = try ready && stride(from: 1, to: counts.count, by: 2).allSatisfy { try counts[$0].int() > 0 }
            }
            if ready { return }
            usleep(10_000)
        }
        XCTFail("events never subscribed")
    }

    private func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], String($0))
        }
    }

    func testEventsFollowsTheTestQueueServicesChannelsAsTheyAre() throws {
        let before = Date()
        let started = #"{"event":"queue:job:started","data":{"jobId":"job-1","testId":"stress_42"},"priority":3}"#
        let progress = #"{"id":"msg_7","event":"test:progress","data":{"testId":"42","progress":50,"metrics":{"rps":12.5}},"channel":"test:42"}"#
        let pretty = "{\n  \"event\": \"test:completed\",\n  \"data\": {\"testId\": \"42\", \"results\": [1, 2, true, null]}\n}"
        let result = try follow(["--channel", "queue-updates", "--pattern", "test:*", "--count", "5", "-o", "ndjson"],
                                channels: ["queue-updates"], patterns: 1) { redis in
            XCTAssertEqual(try redis.send("PUBLISH", "queue-updates", started).int(), 1)
            XCTAssertEqual(try redis.send("PUBLISH", "other-channel", "{\"not\":\"followed\"}").int(), 0)
            XCTAssertEqual(try redis.send("PUBLISH", "test:42", progress).int(), 1)
            XCTAssertEqual(try redis.send("PUBLISH", "queue-updates", "worker restarted").int(), 1)
            XCTAssertEqual(try redis.send("PUBLISH", "test:42", [0xFF, 0x00, 0x41] as [UInt8]).int(), 1)
            XCTAssertEqual(try redis.send("PUBLISH", "queue-updates", pretty).int(), 1)
        }
        XCTAssertEqual(result.code, 0, result.stderr)
        let objects = try lines(result.stdout)
        XCTAssertEqual(objects.count, 5, result.stdout)
        guard objects.count == 5 else { return }

        XCTAssertEqual(objects.map { $0["channel"] as? String }, ["queue-updates", "test:42", "queue-updates", "test:42", "queue-updates"])
        XCTAssertEqual(objects.map { $0["pattern"] as? String }, [nil, "test:*", nil, "test:*", nil])
        XCTAssertTrue(objects[0]["pattern"] is NSNull, "a --channel message has pattern null")
        XCTAssertEqual(objects.map { $0["payload_encoding"] as? String }, ["json", "json", "text", "base64", "json"])

        // JSON payloads are the values published, members in their order.
        let first = try XCTUnwrap(objects[0]["payload"] as? [String: Any])
        XCTAssertEqual(first["event"] as? String, "queue:job:started")
        XCTAssertEqual((first["data"] as? [String: Any])?["testId"] as? String, "stress_42")
        XCTAssertEqual(first["priority"] as? Int, 3)
        let line = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(line[0].contains(#""payload":{"event":"queue:job:started","data":{"jobId":"job-1","testId":"stress_42"},"priority":3}"#), line[0])
        let second = try XCTUnwrap(objects[1]["payload"] as? [String: Any])
        let data = try XCTUnwrap(second["data"] as? [String: Any])
        XCTAssertEqual(data["progress"] as? Int, 50)
        XCTAssertEqual((data["metrics"] as? [String: Any])?["rps"] as? Double, 12.5)
        XCTAssertEqual(second["channel"] as? String, "test:42", "the message's own fields stay inside payload")

        XCTAssertEqual(objects[2]["payload"] as? String, "worker restarted")
        XCTAssertEqual(objects[3]["payload"] as? String, Data([0xFF, 0x00, 0x41]).base64EncodedString())
        let last = try XCTUnwrap(objects[4]["payload"] as? [String: Any])
        XCTAssertEqual(last["event"] as? String, "test:completed")
        let results = try XCTUnwrap((last["data"] as? [String: Any])?["results"] as? [Any])
        XCTAssertEqual(results.count, 4)
        XCTAssertEqual(results[0] as? Int, 1)
        XCTAssertTrue(results[3] is NSNull)

        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for object in objects {
            let time = try XCTUnwrap(formatter.date(from: try XCTUnwrap(object["time"] as? String)), "\(object)")
            XCTAssertGreaterThanOrEqual(time.timeIntervalSince(before), -1)
            XCTAssertLessThan(time.timeIntervalSinceNow, 1)
        }
        XCTAssertFalse(result.stdout.contains("followed"), "an unfollowed channel never shows")
    }

    func testEventsTableIsOneSafeLinePerMessage() throws {
        let result = try follow(["--channel", "queue-updates", "--count", "3"], channels: ["queue-updates"]) { redis in
            try redis.send("PUBLISH", "queue-updates", #"{"event":"test:failed","data":{"testId":"42","attempts":3}}"#)
            try redis.send("PUBLISH", "queue-updates", "two\nlines\u{1B}[31m")
            try redis.send("PUBLISH", "queue-updates", [0x41, 0xC3, 0x28, 0x0A] as [UInt8])
        }
        XCTAssertEqual(result.code, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.count, 4, result.stdout)
        guard lines.count == 4 else { return }
        XCTAssertEqual(lines[3], "")
        let fields = lines.map { $0.split(separator: " ", maxSplits: 2).map(String.init) }
        XCTAssertEqual(fields[0].count, 3)
        XCTAssertTrue(fields[0][0].hasSuffix("Z") && fields[0][0].contains("T"), fields[0][0])
        XCTAssertEqual(fields[0][1], "queue-updates")
        XCTAssertEqual(fields[0][2], #"{"event":"test:failed","data":{"testId":"42","attempts":3}}"#)
        XCTAssertEqual(fields[1][2], #"two\nlines\x1B[31m"#)
        XCTAssertEqual(fields[2][2], #"A\xC3(\x0A"#, "bytes that are not UTF-8 are escaped")
    }

    func testEventsForAQueueIsAsBefore() throws {
        _ = try redis("SADD", "mq:queues", "orders")
        let event = #"{"event":"dead","id":"01J","queue":"orders","time":"1700000000000"}"#
        let result = try follow(["orders", "--count", "1", "-o", "ndjson"], channels: ["mq:{orders}:events"]) { redis in
            try redis.send("PUBLISH", "queue-updates", "not this")
            try redis.send("PUBLISH", "mq:{orders}:events", event)
        }
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(result.stdout, event + "\n")
    }

    /// mqctl's own events are typed JSON: times RFC 3339 with milliseconds.
    func testQueueEventsAreTypedJSON() throws {
        _ = try redis("SADD", "mq:queues", "orders")
        let result = try follow(["orders", "--count", "1", "-o", "ndjson"], channels: ["mq:{orders}:events"]) { _ in
            XCTAssertEqual(self.run("enqueue", "orders", "x", "--id", "e1").code, 0)
        }
        let object = try XCTUnwrap(try lines(result.stdout).first)
        XCTAssertEqual(object["event"] as? String, "enqueued")
        XCTAssertEqual(object["id"] as? String, "e1")
        let time = try XCTUnwrap(object["time"] as? String)
        XCTAssertTrue(time.hasSuffix("Z") && time.count == 24, "RFC 3339 with milliseconds: \(time)")
    }

    func testEventsRefusesQueuesAndChannelsTogetherOrNeither() {
        for arguments in [["events"], ["events", "orders", "--channel", "queue-updates"], ["events", "orders", "--pattern", "test:*"],
                          ["events", "--channel", "queue-updates", "--count", "0"], ["events", "--pattern", ""]] {
            let result = mqctl(arguments, environment: environment)
            XCTAssertEqual(result.code, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("mqctl: error: "), result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
        XCTAssertTrue(mqctl(["events", "orders", "--channel", "x"], environment: environment).stderr.contains("not both"))
        for format in ["csv", "wide", "name", "prometheus"] {
            let refused = mqctl(["events", "orders", "--allow-missing", "-o", format], environment: environment)
            XCTAssertEqual(refused.code, 64, "events of queues offer no -o \(format): \(refused.stderr)")
        }
    }

    /// The built binary, ended by SIGTERM: exit 0 and a whole JSON document.
    func testEventsEndsCleanlyOnSIGTERM() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw FixtureError("\(binary.path) is missing: build with --build-tests, which builds it")
        }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-events-\(UUID().uuidString.prefix(8))")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["events", "--pattern", "test:*", "-o", "json"]
        process.environment = ["MQCTL_URL": server.url, "PATH": "/usr/bin:/bin"]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let publisher = try connect()
        try waitForSubscribers(publisher, channels: [], patterns: 1)
        try publisher.send("PUBLISH", "test:1", #"{"event":"test:started","data":{"testId":"1"}}"#)
        try publisher.send("PUBLISH", "test:2", "42")
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, (try String(contentsOf: output, encoding: .utf8)).components(separatedBy: "\"test:").count < 3 {
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, "it ended itself, not by the signal")
        XCTAssertEqual(process.terminationStatus, 0)
        let text = try String(contentsOf: output, encoding: .utf8)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
        let messages = try XCTUnwrap(document["messages"] as? [[String: Any]])
        XCTAssertEqual(messages.map { $0["channel"] as? String }, ["test:1", "test:2"])
        XCTAssertEqual(messages.map { $0["pattern"] as? String }, ["test:*", "test:*"])
        XCTAssertEqual((messages[0]["payload"] as? [String: Any])?["event"] as? String, "test:started")
        XCTAssertEqual(messages[1]["payload"] as? Int, 42, "a JSON number is a number")
        XCTAssertEqual(try publisher.send("PUBSUB", "NUMPAT").int(), 0, "the subscription went with it")
    }

    // MARK: seq restore --margin

    func testRestoreWithAMarginCoversNumbersHandedOutAfterTheExport() throws {
        _ = try redis("SET", "seq:conv-1", 100)
        _ = try redis("SET", "seq:conv-2", 50)
        _ = try redis("SET", "seq:conv-3", 7, "EX", 300)
        _ = try redis("SET", "seq:conv-4", 10)
        let exported = run("seq", "export")
        XCTAssertEqual(exported.code, 0, exported.stderr)
        XCTAssertEqual(exported.stdout.split(separator: "\n").count, 4)

        // The app goes on handing out numbers after the export...
        for _ in 0..<30 { _ = try redis("INCR", "seq:conv-1") }      // 101...130 handed out
        _ = try redis("INCRBY", "seq:conv-2", 10)                    // 51...60
        _ = try redis("INCRBY", "seq:conv-4", 100)                   // 11...110
        // ...then a failover to a replica that lagged: conv-1 is behind even
        // the export, conv-2 and conv-4 caught up, conv-3 never arrived.
        _ = try redis("SET", "seq:conv-1", 95)
        _ = try redis("DEL", "seq:conv-3")

        let restored = try json(run("seq", "restore", "--margin", "50", "--json", stdin: exported.stdout))
        XCTAssertEqual(restored["raised"] as? Int, 2)
        XCTAssertEqual(restored["kept"] as? Int, 1)
        XCTAssertEqual(restored["created"] as? Int, 1)
        XCTAssertEqual(restored["invalid"] as? Int, 0)
        XCTAssertEqual(restored["margin"] as? Int, 50)
        XCTAssertEqual(try redis("GET", "seq:conv-1").int(), 150, "saved 100 + 50")
        XCTAssertGreaterThan(try redis("INCR", "seq:conv-1").int(), 130, "no number handed out before the failover comes again")
        XCTAssertEqual(try redis("GET", "seq:conv-2").int(), 100, "saved 50 + 50 is above the replica's 60")
        XCTAssertEqual(try redis("GET", "seq:conv-3").int(), 57, "created at saved + margin")
        let ttl = try redis("TTL", "seq:conv-3").int()
        XCTAssertTrue((1...300).contains(ttl), "a created counter gets its saved TTL, got \(ttl)")
        XCTAssertEqual(try redis("GET", "seq:conv-4").int(), 110, "never lowered: 110 is above saved 10 + 50")

        // The same restore again adds nothing: saved + margin, not current + margin.
        let again = try json(run("seq", "restore", "--margin", "50", "--json", stdin: exported.stdout))
        XCTAssertEqual(again["raised"] as? Int, 0)
        XCTAssertEqual(again["kept"] as? Int, 4)
        XCTAssertEqual(try redis("GET", "seq:conv-2").int(), 100)

        let audit = try redis("XREVRANGE", "mq:audit", "+", "-", "COUNT", 1).array()
        let fields = try audit[0].array()[1].array().map { try $0.string() }
        XCTAssertEqual(fields.firstIndex(of: "margin").map { fields[$0 + 1] }, "50", "\(fields)")
    }

    func testRestoreMarginIsValidatedAndNeverOverflows() throws {
        for margin in ["--margin=-1", "--margin=1000000000000000"] {
            let result = run("seq", "restore", margin, stdin: #"{"key":"seq:a","value":1}"# + "\n")
            XCTAssertEqual(result.code, 64, "\(margin): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("--margin must be from 0 to 999999999999999"), result.stderr)
        }
        XCTAssertEqual(run("seq", "restore", "--margin", "ten", stdin: #"{"key":"seq:a","value":1}"# + "\n").code, 64)
        XCTAssertEqual(try redis("EXISTS", "seq:a").int(), 0, "nothing restored by a refused command")
        XCTAssertEqual(run("seq", "restore", "--margin", "999999999999999", stdin: #"{"key":"seq:a","value":1}"# + "\n").code, 0)
        XCTAssertEqual(try redis("GET", "seq:a").int(), 1_000_000_000_000_000)

        let lines = #"{"key":"seq:edge","value":9223372036854775800}"# + "\n" + #"{"key":"seq:b","value":5}"# + "\n"
        let result = run("seq", "restore", "--margin", "10", "--json", stdin: lines)
        XCTAssertEqual(result.code, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("line 1:") && result.stderr.contains("past the largest counter"), result.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(report["invalid_lines"] as? Int, 1)
        XCTAssertEqual(report["created"] as? Int, 1)
        XCTAssertEqual(try redis("EXISTS", "seq:edge").int(), 0)
        XCTAssertEqual(try redis("GET", "seq:b").int(), 15)
    }

    /// Past 2^53 a double cannot tell n from n + 1: the guard compares the
    /// integers exactly.
    func testNeverLowerGuardIsExactPastTwoToThe53() throws {
        _ = try redis("SET", "seq:big", "9007199254740992")
        let restored = try json(run("seq", "restore", "--json", stdin: #"{"key":"seq:big","value":9007199254740993}"# + "\n"))
        XCTAssertEqual(restored["raised"] as? Int, 1)
        XCTAssertEqual(try redis("GET", "seq:big").string(), "9007199254740993")

        let lower = run("seq", "set", "seq:big", "9007199254740992")
        XCTAssertEqual(lower.code, 1, lower.stderr)
        XCTAssertTrue(lower.stderr.contains("would hand out numbers again"), lower.stderr)
        XCTAssertEqual(try redis("GET", "seq:big").string(), "9007199254740993")
        XCTAssertEqual(run("seq", "set", "seq:big", "9007199254740994").code, 0)
        XCTAssertEqual(try redis("GET", "seq:big").string(), "9007199254740994")

        _ = try redis("SET", "seq:neg", "-20")
        let negative = try json(run("seq", "restore", "--json", stdin: #"{"key":"seq:neg","value":-3}"# + "\n"))
        XCTAssertEqual(negative["raised"] as? Int, 1)
        XCTAssertEqual(try redis("GET", "seq:neg").int(), -3)
        _ = try redis("SET", "seq:float", "1.5")
        XCTAssertEqual(run("seq", "restore", stdin: #"{"key":"seq:float","value":3}"# + "\n").code, 1, "1.5 is no INCR counter")
        XCTAssertEqual(try redis("GET", "seq:float").string(), "1.5")
    }

    // MARK: depth --ttl

    func testDepthTTLSummarisesHeartbeats() throws {
        _ = try redis("SETEX", "hb:u1:s1", 5, "online")        // < 10s
        _ = try redis("SETEX", "hb:u1:s2", 30, "online")       // < 1m
        _ = try redis("SETEX", "hb:u2:s1", 45, "online")       // < 1m
        _ = try redis("SETEX", "hb:u3:s1", 120, "online")      // < 5m
        _ = try redis("SETEX", "hb:u4:s1", 1800, "online")     // < 1h
        _ = try redis("SETEX", "hb:u5:s1", 7200, "online")     // < 1d
        _ = try redis("SETEX", "hb:u6:s1", 172_800, "online")  // >= 1d
        _ = try redis("SET", "hb:u7:s1", "left without expiry")
        _ = try redis("HSET", "hb:u8:s1", "socket", "s1")      // no TTL, not a string: still counted
        _ = try redis("SETEX", "user:u1", 5, "not a heartbeat")

        let result = try json(run("depth", "hb:*", "none:*", "--ttl", "--expiring-within", "1m", "--json"))
        let patterns = try XCTUnwrap(result["patterns"] as? [[String: Any]])
        XCTAssertEqual(patterns.count, 2)
        let hb = patterns[0]
        XCTAssertEqual(hb["pattern"] as? String, "hb:*")
        XCTAssertEqual(hb["keys"] as? Int, 9)
        XCTAssertEqual(hb["with_ttl"] as? Int, 7)
        XCTAssertEqual(hb["without_ttl"] as? Int, 2)
        XCTAssertEqual(hb["vanished"] as? Int, 0)
        let buckets = try XCTUnwrap(hb["buckets"] as? [String: Int])
        XCTAssertEqual(buckets, ["lt_10s": 1, "lt_1m": 2, "lt_5m": 1, "lt_1h": 1, "lt_1d": 1, "ge_1d": 1])
        XCTAssertEqual(hb["expiring_within_seconds"] as? Double, 60)
        XCTAssertEqual(hb["expiring"] as? Int, 3, "5s, 30s and 45s expire within a minute")
        let soonest = try XCTUnwrap(hb["soonest_seconds"] as? Double)
        XCTAssertTrue(soonest > 3 && soonest <= 5, "\(soonest)")
        let latest = try XCTUnwrap(hb["latest_seconds"] as? Double)
        XCTAssertTrue(latest > 172_790 && latest <= 172_800, "\(latest)")
        XCTAssertEqual(try redis("GET", "hb:u7:s1").string(), "left without expiry", "nothing is written")

        let none = patterns[1]
        XCTAssertEqual(none["keys"] as? Int, 0)
        XCTAssertEqual(none["with_ttl"] as? Int, 0)
        XCTAssertTrue(none["soonest_seconds"] is NSNull)
        XCTAssertEqual(none["expiring"] as? Int, 0)

        let table = run("depth", "hb:*", "--ttl", "--expiring-within", "10s")
        XCTAssertEqual(table.code, 0, table.stderr)
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.count, 2, table.stdout)
        XCTAssertEqual(rows.first, ["PATTERN", "KEYS", "WITH_TTL", "WITHOUT_TTL", "LT_10S", "LT_1M", "LT_5M", "LT_1H", "LT_1D", "GE_1D", "EXPIRING", "VANISHED"])
        XCTAssertEqual(rows.last, ["hb:*", "9", "7", "2", "1", "2", "1", "1", "1", "1", "1", "0"])

        // CSV carries every field JSON does, not only the table's columns.
        let csv = run("depth", "hb:*", "--ttl", "-o", "csv").stdout.split(separator: "\r\n").map(String.init)
        XCTAssertEqual(csv.first, "pattern,keys,with_ttl,without_ttl,vanished,buckets.lt_10s,buckets.lt_1m,buckets.lt_5m,buckets.lt_1h,buckets.lt_1d,buckets.ge_1d,soonest_seconds,latest_seconds")
        XCTAssertTrue(csv.last?.hasPrefix("hb:*,9,7,2,0,1,2,1,1,1,1,") == true, "\(csv)")
    }

    func testDepthTTLOverManyScanPagesAndItsUsage() throws {
        let redis = try connect()
        for chunk in stride(from: 0, to: 2_500, by: 500) {
            _ = try redis.pipeline((chunk..<chunk + 500).map {
                RedisCommand("SETEX", "hb:user\($0):sock", $0 < 2_000 ? 600 : 20, "1")
            })
        }
        _ = try redis.pipeline((0..<300).map { RedisCommand("SET", "hb:gone\($0)", "1") })
        let result = try json(run("depth", "hb:*", "--ttl", "--expiring-within", "30s", "--json"))
        let summary = try XCTUnwrap((result["patterns"] as? [[String: Any]])?.first)
        XCTAssertEqual(summary["keys"] as? Int, 2_800)
        XCTAssertEqual(summary["with_ttl"] as? Int, 2_500)
        XCTAssertEqual(summary["without_ttl"] as? Int, 300)
        XCTAssertEqual((summary["buckets"] as? [String: Int])?["lt_1h"], 2_000)
        XCTAssertEqual((summary["buckets"] as? [String: Int])?["lt_1m"], 500)
        XCTAssertEqual(summary["expiring"] as? Int, 500)

        XCTAssertEqual(run("depth", "hb:*", "--ttl", "--due").code, 64)
        XCTAssertEqual(run("depth", "hb:*", "--expiring-within", "1m").code, 64)
        XCTAssertEqual(run("depth", "hb:*", "--ttl", "--expiring-within", "soon").code, 64)
    }
}
