import Foundation
import MQRedis
import XCTest
@testable import MQCommands

/// The seed systems' queues, built in their own layouts the way their
/// documents show, administered through the example layout files in
/// Scripts/examples: 000 (OpenPenPal courier tiers, retry and delay sets in
/// epoch seconds) and 004 (a notification list with a capacity).
final class LayoutSeedTests: CommandTestCase {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/examples")

    var config = "openpenpal.toml"
    override var environment: [String: String] {
        ["MQCTL_URL": server.url, "MQCTL_CONFIG": Self.examples.appendingPathComponent(config).path]
    }

    var now: Int { Int(Date().timeIntervalSince1970) }

    func task(_ id: String, priority: String = "normal", retries: Int = 0, error: String? = nil, createdAgo: Int = 60) -> String {
        let created = ISO8601DateFormatter().string(from: Date(timeIntervalSinceNow: -Double(createdAgo)))
        let errorField = error.map { ",\"last_error\":\"\($0)\"" } ?? ""
        return "{\"task_id\":\"\(id)\",\"priority\":\"\(priority)\",\"retry_count\":\(retries),\"created_at\":\"\(created)\"\(errorField)}"
    }

    /// The courier service as its document shows it: RPUSH to the tier
    /// lists, failed tasks ZADDed to the retry set at their next try time.
    func seedCourier() throws {
        for index in 1...3 { _ = try redis("RPUSH", "courier:queue:normal", task("n\(index)", createdAgo: 600 - index)) }
        _ = try redis("RPUSH", "courier:queue:express", task("e1", priority: "express", createdAgo: 30))
        _ = try redis("ZADD", "courier:queue:retry", now - 5, task("r1", priority: "urgent", retries: 2, error: "timeout"),
                      now + 600, task("r2", retries: 1, error: "refused"))
        _ = try redis("ZADD", "courier:queue:delay", now - 1, task("later1"), now + 3600, task("later2"))
        _ = try redis("ZADD", "courier:queue:dead", now - 7200, task("d1", retries: 5, error: "timeout talking to sms"),
                      now - 60, task("d2", retries: 5, error: "bad address"), now - 30, "not json at all")
    }

    func members(_ key: String) throws -> [String] {
        try redis("LRANGE", key, 0, -1).array().map { try $0.string() }
    }

    func scores(_ key: String) throws -> [(member: String, score: Double)] {
        let reply = try redis("ZRANGE", key, 0, -1, "WITHSCORES").array()
        return try stride(from: 0, to: reply.count, by: 2).map { (try reply[$0].string(), Double(try reply[$0 + 1].string())!) }
    }

    func testStatsCountEachTierAndRoleWithLatencyFromCreatedAt() throws {
        try seedCourier()
        let stats = try XCTUnwrap((try json(run("stats", "-o", "json"))["queues"] as? [[String: Any]])?.first)
        XCTAssertEqual(stats["queue"] as? String, "courier")
        XCTAssertEqual(stats["layout"] as? String, "openpenpal")
        XCTAssertEqual(stats["ready_by_priority"] as? [String: Int], ["express": 1, "urgent": 0, "normal": 3])
        XCTAssertEqual(stats["retry"] as? Int, 2)
        XCTAssertEqual(stats["delayed"] as? Int, 2)
        XCTAssertEqual(stats["dead"] as? Int, 3)
        XCTAssertEqual(stats["overdue"] as? Int, 2, "r1 and later1 are due")
        // The oldest head is n1, created 599 s ago.
        let latency = try XCTUnwrap(stats["latency_seconds"] as? Double)
        XCTAssertEqual(latency, 599, accuracy: 5)

        let prometheus = run("stats", "-o", "prometheus").stdout
        XCTAssertTrue(prometheus.contains("mqctl_queue_ready{queue=\"courier\",layout=\"openpenpal\",priority=\"express\"} 1"), prometheus)
        XCTAssertTrue(prometheus.contains("mqctl_queue_dead{queue=\"courier\",layout=\"openpenpal\"} 3"), prometheus)
    }

    func testCheckTakesTheApplicationsOwnKeyName() throws {
        try seedCourier()
        let critical = run("check", "courier:queue:normal", "--max-ready", "3")
        XCTAssertEqual(critical.code, 2, critical.stdout + critical.stderr)
        XCTAssertTrue(critical.stdout.hasPrefix("MQCTL CRITICAL - courier ready 4 > 3"), critical.stdout)
        let ok = run("check", "courier", "--max-ready", "10", "--warn-dead", "5")
        XCTAssertEqual(ok.code, 0, ok.stdout)
        XCTAssertEqual(run("check", "courier", "--warn-dead", "2").code, 1)
    }

    func testLayoutsCheckReportsUnreadableMembersAndWrongTypes() throws {
        try seedCourier()
        let checked = run("layouts", "check", "-o", "json")
        XCTAssertEqual(checked.code, 65, checked.stderr)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(checked.stdout.utf8)) as? [String: Any])["roles"] as? [[String: Any]]
        let dead = try XCTUnwrap(rows?.first { $0["role"] as? String == "dead" })
        XCTAssertEqual(dead["count"] as? Int, 3)
        XCTAssertEqual(dead["unreadable"] as? Int, 1)
        XCTAssertEqual(rows?.first { $0["role"] as? String == "ready:urgent" }?["status"] as? String, "absent")

        _ = try redis("ZREM", "courier:queue:dead", "not json at all")
        XCTAssertEqual(run("layouts", "check").code, 0)
        _ = try redis("SET", "courier:queue:urgent", "oops")
        let wrong = run("layouts", "check")
        XCTAssertEqual(wrong.code, 65)
        XCTAssertTrue(wrong.stdout.contains("WRONG TYPE (expected list)"), wrong.stdout)
        // The worker refuses to start on it, before it takes anything.
        let work = try mqctlProcess(["work", "courier", "--burst", "--", "/bin/true"], environment: environment)
        XCTAssertEqual(work.code, 65, work.stderr)
        XCTAssertTrue(work.stderr.contains("courier:queue:urgent"), work.stderr)
        XCTAssertEqual(try members("courier:queue:normal").count, 3)
    }

    func testDeadLetterListFiltersAndReplayWithDryRun() throws {
        try seedCourier()
        let listed = run("dlq", "list", "courier", "--error", "timeout", "-o", "json")
        let items = try XCTUnwrap(try json(listed)["items"] as? [[String: Any]])
        XCTAssertEqual(items.map { $0["id"] as? String }, ["d1"])
        XCTAssertEqual(items.first?["attempts"] as? Int, 5)

        let dry = try json(run("dlq", "replay", "courier", "--older-than", "1h", "--dry-run", "-o", "json"))
        XCTAssertEqual(dry["would_move"] as? Int, 1)
        XCTAssertEqual(try scores("courier:queue:dead").count, 3, "a dry run changes nothing")

        let replayed = try json(run("dlq", "replay", "courier", "--all", "-y", "-o", "json"))
        XCTAssertEqual(replayed["moved"] as? Int, 2)
        XCTAssertEqual(replayed["unreadable"] as? Int, 1)
        // Back of the tier the task names, as the application would push it; the unreadable one stays.
        XCTAssertEqual(try members("courier:queue:normal").suffix(2).map { $0.contains("\"d1\"") || $0.contains("\"d2\"") }, [true, true])
        XCTAssertEqual(try scores("courier:queue:dead").map(\.member), ["not json at all"])
        let entry = try redis("XREVRANGE", "mq:audit", "+", "-", "COUNT", 1).array()
        let audit = try entry[0].array()[1].array().map { try $0.string() }.joined(separator: " ")
        XCTAssertTrue(audit.contains("dlq replay") && audit.contains("layout=openpenpal"), audit)
    }

    func testExportPurgeImportRoundTripAndShow() throws {
        try seedCourier()
        _ = try redis("ZREM", "courier:queue:dead", "not json at all")
        let before = try scores("courier:queue:dead")
        let exported = run("dlq", "export", "courier")
        XCTAssertEqual(exported.code, 0, exported.stderr)
        XCTAssertEqual(exported.stdout.split(separator: "\n").count, 2)
        let shown = try json(run("show", "courier", "d2", "-o", "json"))
        XCTAssertEqual(shown["state"] as? String, "dead")
        XCTAssertEqual(shown["last_error"] as? String, "bad address")
        XCTAssertEqual(run("show", "courier", "nope").code, 1)

        XCTAssertEqual(run("dlq", "purge", "courier", "--all", "-y", "-q").code, 0)
        XCTAssertEqual(try redis("ZCARD", "courier:queue:dead").int(), 0)
        let imported = try json(run("dlq", "import", "courier", "-o", "json", stdin: exported.stdout))
        XCTAssertEqual(imported["imported"] as? Int, 2)
        let after = try scores("courier:queue:dead")
        XCTAssertEqual(after.map(\.member), before.map(\.member), "byte for byte")
        XCTAssertEqual(after.map(\.score), before.map(\.score), "with their failed-at scores")
        // A second import finds them there and adds nothing.
        XCTAssertEqual(try json(run("dlq", "import", "courier", "-o", "json", stdin: exported.stdout))["exists"] as? Int, 2)
        XCTAssertEqual(try redis("ZCARD", "courier:queue:dead").int(), 2)
    }

    func testRetryRunNowAndKill() throws {
        try seedCourier()
        let killed = try json(run("retry", "kill", "courier", "r2", "-o", "json"))
        XCTAssertEqual(killed["moved"] as? Int, 1)
        XCTAssertTrue(try scores("courier:queue:dead").contains { $0.member.contains("\"r2\"") })
        XCTAssertEqual(try json(run("retry", "run-now", "courier", "--all", "-o", "json"))["moved"] as? Int, 1)
        XCTAssertTrue(try members("courier:queue:urgent").first?.contains("\"r1\"") == true, "r1 names the urgent tier")
        XCTAssertEqual(run("retry", "run-now", "courier", "nope").code, 1)
    }

    func testEnqueueNowAndLaterInTheLayoutsUnits() throws {
        XCTAssertEqual(run("enqueue", "courier", task("x1"), "-q").code, 0)
        XCTAssertEqual(run("enqueue", "courier", task("x2", priority: "express"), "--priority", "express", "-q").code, 0)
        XCTAssertEqual(run("enqueue", "courier", task("x3"), "--delay", "1h", "-q").code, 0)
        XCTAssertEqual(try members("courier:queue:normal").count, 1)
        XCTAssertEqual(try members("courier:queue:express").count, 1)
        let delayed = try XCTUnwrap(try scores("courier:queue:delay").first)
        XCTAssertEqual(delayed.score, Double(now + 3600), accuracy: 3, "epoch seconds, as the poller reads them")
        XCTAssertEqual(delayed.score, delayed.score.rounded(), "whole seconds")

        let notJSON = run("enqueue", "courier", "plain text")
        XCTAssertEqual(notJSON.code, 64)
        XCTAssertTrue(notJSON.stderr.contains("not a JSON object"), notJSON.stderr)
        XCTAssertEqual(run("enqueue", "courier", task("x4"), "--priority", "bulk").code, 64)
        XCTAssertEqual(run("enqueue", "courier", task("x5"), "--header", "a=b").code, 64)
    }

    func testPromoteMovesDueMembersOnceEach() throws {
        try seedCourier()
        let promoted = try json(run("promote", "courier", "-o", "json"))
        let row = try XCTUnwrap((promoted["queues"] as? [[String: Any]])?.first)
        XCTAssertEqual(row["from_delayed"] as? Int, 1)
        XCTAssertEqual(row["from_retry"] as? Int, 1)
        XCTAssertEqual(try scores("courier:queue:retry").map { $0.member.contains("\"r2\"") }, [true])
        XCTAssertEqual(try scores("courier:queue:delay").map { $0.member.contains("later2") }, [true])
        XCTAssertTrue(try members("courier:queue:urgent").contains { $0.contains("\"r1\"") })
        XCTAssertTrue(try members("courier:queue:normal").last?.contains("later1") == true)
        // A second pass finds nothing due.
        let again = try json(run("promote", "courier", "-o", "json"))
        XCTAssertEqual((again["queues"] as? [[String: Any]])?.first?["from_retry"] as? Int, 0)
    }

    func testWorkRetriesFailuresInSecondsAndAcksTheRest() throws {
        try seedCourier()
        _ = try redis("DEL", "courier:queue:retry", "courier:queue:delay")
        let handler = try script("""
            #!/bin/sh
            case "$(cat)" in *'"n2"'*) echo "sms gateway down" >&2; exit 1;; esac
            """)
        let result = try mqctlProcess(["work", "courier", "--burst", "--backoff", "fixed", "--backoff-base", "30s", "--no-jitter", "--", handler],
                                      environment: environment)
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(try members("courier:queue:normal"), [])
        XCTAssertEqual(try members("courier:queue:express"), [])
        let retry = try scores("courier:queue:retry")
        XCTAssertEqual(retry.count, 1)
        XCTAssertTrue(retry[0].member.contains("\"retry_count\":1") && retry[0].member.contains("sms gateway down"), retry[0].member)
        XCTAssertEqual(retry[0].score, Double(now + 30), accuracy: 3)
        let stats = try XCTUnwrap((try json(run("stats", "courier", "-o", "json"))["queues"] as? [[String: Any]])?.first)
        XCTAssertEqual(stats["processed"] as? Int, 3)
        XCTAssertEqual(stats["failed"] as? Int, 1)
        XCTAssertEqual(stats["inflight"] as? Int, 0)
    }

    func testAKilledWorkerLosesNothing() throws {
        _ = try redis("RPUSH", "courier:queue:normal", task("slow1"), task("slow2"))
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-layout-\(UUID().uuidString)").path
        let handler = try script("#!/bin/sh\ncat >/dev/null\ntouch \(marker)\nsleep 60\n")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
        let worker = Process()
        worker.executableURL = binary
        worker.arguments = ["work", "courier", "--", handler]
        worker.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { old, _ in old }
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        let deadline = Date(timeIntervalSinceNow: 10)
        while !FileManager.default.fileExists(atPath: marker), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker), "the handler never ran")
        kill(worker.processIdentifier, SIGKILL)
        worker.waitUntilExit()
        XCTAssertEqual(try members("courier:queue:normal").count, 1, "one is held in the worker's processing list")
        // Its registration expires within 10 s; then reap returns what it held to the front.
        var returned = 0
        let reapDeadline = Date(timeIntervalSinceNow: 15)
        while returned == 0, Date() < reapDeadline {
            Thread.sleep(forTimeInterval: 0.5)
            returned = ((try json(run("reap", "courier", "-o", "json"))["queues"] as? [[String: Any]])?.first?["returned"] as? Int) ?? 0
        }
        XCTAssertEqual(returned, 1)
        let after = try members("courier:queue:normal")
        XCTAssertEqual(after.count, 2)
        XCTAssertTrue(after[0].contains("slow1"), "back at the head, where it was taken from")
    }

    func testMigrateKeepsAgeAttemptsAndError() throws {
        try seedCourier()
        let dry = try json(run("migrate", "courier", "--to", "couriers", "--role", "dead", "--dry-run", "-o", "json"))
        XCTAssertEqual(dry["would_move"] as? Int, 2)
        XCTAssertEqual(dry["unreadable"] as? Int, 1)
        XCTAssertNil(dry["moved"], "a dry run says would_move, never moved")
        XCTAssertEqual(try scores("courier:queue:dead").count, 3, "a dry run changes nothing")
        let migrated = try json(run("migrate", "courier", "--to", "couriers", "--role", "dead", "-o", "json"))
        XCTAssertEqual(migrated["moved"] as? Int, 2)
        XCTAssertEqual(migrated["unreadable"] as? Int, 1)
        XCTAssertEqual(try scores("courier:queue:dead").map(\.member), ["not json at all"])
        let letter = try json(run("--layout", "native", "show", "couriers", "d1", "-o", "json"))
        XCTAssertEqual(letter["state"] as? String, "dead")
        XCTAssertEqual(letter["attempts"] as? Int, 5)
        XCTAssertEqual(letter["last_error"] as? String, "timeout talking to sms")
        let enqueued = try XCTUnwrap(ISO8601DateFormatter().date(from: (letter["enqueued_at"] as? String ?? "").replacingOccurrences(of: ".000Z", with: "Z")))
        XCTAssertEqual(enqueued.timeIntervalSinceNow, -60, accuracy: 5, "the task's own created_at, not the move")

        let ready = try json(run("migrate", "courier", "--to", "couriers", "--role", "ready", "-o", "json"))
        XCTAssertEqual(ready["moved"] as? Int, 4)
        XCTAssertEqual(try members("courier:queue:normal"), [])
        let stats = try XCTUnwrap((try json(run("--layout", "native", "stats", "couriers", "-o", "json"))["queues"] as? [[String: Any]])?.first)
        XCTAssertEqual(stats["ready_by_priority"] as? [String: Int], ["express": 1, "urgent": 0, "normal": 3])
    }

    func testACommandALayoutCannotServeExits64() throws {
        config = "notifications.toml"
        _ = try redis("LPUSH", "notify:email:pending", "{\"event_id\":\"1\"}")
        XCTAssertEqual(run("layouts", "check").code, 0)
        let delayed = run("delayed", "list", "email")
        XCTAssertEqual(delayed.code, 64)
        XCTAssertTrue(delayed.stderr.contains("has no delayed role"), delayed.stderr)
        XCTAssertEqual(run("enqueue", "email", "{}", "--delay", "1m").code, 64)
    }

    func testCapacityRefusesWhenFullAndUsageAlerts() throws {
        config = "notifications.toml"
        let lines = (1...950).map { "{\"event_id\":\"\($0)\",\"created_at_ms\":\(Int64(Date().timeIntervalSince1970 * 1000))}" }
        // A queue of a pattern layout is found by its keys; before it has any, name the layout.
        XCTAssertEqual(run("--layout", "notify", "enqueue", "email", "--stdin", "-q", stdin: lines.joined(separator: "\n")).code, 0)
        XCTAssertEqual(try redis("LLEN", "notify:email:pending").int(), 950)
        let warning = run("check", "--warn-usage", "80", "--max-usage", "96")
        XCTAssertEqual(warning.code, 1, warning.stdout)
        XCTAssertTrue(warning.stdout.contains("email usage 95%"), warning.stdout)

        let more = (951...1100).map { "{\"event_id\":\"\($0)\"}" }.joined(separator: "\n")
        let full = run("enqueue", "email", "--stdin", stdin: more)
        XCTAssertEqual(full.code, 75, full.stderr)
        XCTAssertTrue(full.stderr.contains("enqueued 0 of 150"), full.stderr)
        XCTAssertEqual(try redis("LLEN", "notify:email:pending").int(), 950, "refused whole, never half-written or dropped")
        XCTAssertEqual(run("enqueue", "email", "--stdin", "-q", stdin: more.split(separator: "\n").prefix(50).joined(separator: "\n")).code, 0)
        XCTAssertEqual(run("check", "--max-usage", "95").code, 2)
    }

    func testABadConfigFileNamesTheLineAndTheKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-bad-\(UUID().uuidString).toml").path
        try """
            [layouts.jobs]
            queues = ["jobs"]
            ready = ["jobs:ready"]
            push = "right"
            pop = "left"
            retry = { key = "jobs:retry", score = "hours" }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = mqctl(["layouts", "list", "--config", path], environment: ["MQCTL_URL": server.url])
        XCTAssertEqual(result.code, 64)
        XCTAssertTrue(result.stderr.contains("\(path):6: layouts.jobs.retry.score: is 'hours'; use one of seconds, milliseconds"), result.stderr)
        // A nameless table header: line and column, what was expected.
        try "[layouts.jobs]\nqueues = [\"jobs\"]\n[\n".write(toFile: path, atomically: true, encoding: .utf8)
        let header = mqctl(["layouts", "list", "--config", path], environment: ["MQCTL_URL": server.url])
        XCTAssertEqual(header.code, 64)
        XCTAssertTrue(header.stderr.contains("\(path):3:2: expected a key, found the end of the line"), header.stderr)
        try "[layouts.jobs\nqueues = 1".write(toFile: path, atomically: true, encoding: .utf8)
        let syntax = mqctl(["layouts", "list", "--config", path], environment: ["MQCTL_URL": server.url])
        XCTAssertEqual(syntax.code, 64)
        XCTAssertTrue(syntax.stderr.contains("\(path):1:"), syntax.stderr)
    }

    // Found by trying mqctl as an operator would (each was a defect).

    func testReplayResetsAttemptsUnlessKeepAttempts() throws {
        try seedCourier()
        XCTAssertEqual(run("dlq", "replay", "courier", "d1", "-y", "-q").code, 0)
        XCTAssertTrue(try members("courier:queue:normal").last?.contains("\"retry_count\":0") == true)
        XCTAssertEqual(run("dlq", "replay", "courier", "d2", "--keep-attempts", "-y", "-q").code, 0)
        XCTAssertTrue(try members("courier:queue:normal").last?.contains("\"retry_count\":5") == true)
    }

    func testDeadLettersListNewestFirstAndControlCharactersAreShownNotObeyed() throws {
        try seedCourier()
        _ = try redis("ZREM", "courier:queue:dead", "not json at all")
        _ = try redis("ZADD", "courier:queue:dead", now - 10, #"{"task_id":"E\u001b[31mX","last_error":"\u001b[2J"}"#)
        let table = run("dlq", "list", "courier").stdout.split(separator: "\n").dropFirst().map(String.init)
        XCTAssertTrue(table.first?.hasPrefix("E\\u{1B}[31mX") == true, table.joined(separator: "\n"))
        XCTAssertFalse(table.joined().contains("\u{1B}"))
        XCTAssertTrue(table.last?.hasPrefix("d1") == true, "the oldest last")
    }

    func testAWrongTypeKeyIsRefusedBeforeAnyMove() throws {
        try seedCourier()
        _ = try redis("SET", "courier:queue:urgent", "oops")
        XCTAssertEqual(run("promote", "courier").code, 65)
        XCTAssertEqual(try redis("ZCARD", "courier:queue:retry").int(), 2, "nothing moved")
        XCTAssertEqual(try redis("ZCARD", "courier:queue:delay").int(), 2)
        XCTAssertEqual(run("dlq", "replay", "courier", "--all", "-y").code, 65)
        XCTAssertEqual(try redis("ZCARD", "courier:queue:dead").int(), 3)
    }

    func testMigrateKeepsTheTierOfEveryStateAndUnknownNamesAreRefused() throws {
        _ = try redis("ZADD", "courier:queue:dead", now - 60, task("u1", priority: "urgent", retries: 5, error: "x"))
        XCTAssertEqual(run("migrate", "courier", "--to", "couriers", "-q").code, 0)
        let letter = try json(run("--layout", "native", "show", "couriers", "u1", "-o", "json"))
        XCTAssertEqual(letter["priority"] as? String, "urgent")
        XCTAssertEqual(letter["max_attempts"] as? Int, 5, "the layout's")
        let unknown = run("--layout", "openpenpal", "stats", "courrier")
        XCTAssertEqual(unknown.code, 64)
        XCTAssertTrue(unknown.stderr.contains("layout 'openpenpal' has no queue 'courrier'"), unknown.stderr)
    }

    func testAnExportedUnreadableMemberIsRestoredToo() throws {
        try seedCourier()
        let exported = run("dlq", "export", "courier").stdout
        XCTAssertEqual(run("dlq", "purge", "courier", "--all", "-y", "-q").code, 0)
        XCTAssertEqual(try json(run("dlq", "import", "courier", "-o", "json", stdin: exported))["imported"] as? Int, 3)
        XCTAssertTrue(try scores("courier:queue:dead").contains { $0.member == "not json at all" })
    }

    func testAPatternQueueWithOnlyRetriesIsStillTheLayoutsQueue() throws {
        config = "notifications.toml"
        _ = try redis("ZADD", "notify:sms:retry", Int64(Date().timeIntervalSince1970 * 1000) - 1000, #"{"event_id":"s-f","attempts":1}"#)
        let stats = try XCTUnwrap((try json(run("stats", "sms", "-o", "json"))["queues"] as? [[String: Any]])?.first)
        XCTAssertEqual(stats["layout"] as? String, "notify")
        XCTAssertEqual(stats["retry"] as? Int, 1)
        XCTAssertEqual(run("enqueue", "sms", #"{"event_id":"s-2"}"#, "-q").code, 0)
        XCTAssertEqual(try redis("LLEN", "notify:sms:pending").int(), 1, "the application's list, not mqctl's own")
    }

    func testSidekiqPromoteTakesEachQueuesOwnDueJobsOnly() throws {
        config = "notifications.toml"
        _ = try redis("SADD", "queues", "default", "critical")
        let due = Date().timeIntervalSince1970 - 5
        _ = try redis("ZADD", "retry", String(due), #"{"queue":"critical","class":"PaymentJob","args":[1],"jid":"r3","retry_count":1}"#,
                      String(due + 1), #"{"queue":"default","class":"MailJob","args":[2],"jid":"r4","retry_count":1}"#)
        XCTAssertEqual(run("promote", "default", "-q").code, 0)
        XCTAssertEqual(try members("queue:default").count, 1)
        XCTAssertTrue(try members("queue:default")[0].contains("r4"))
        XCTAssertEqual(try redis("ZCARD", "retry").int(), 1, "critical's job waits for critical")
        XCTAssertEqual(run("promote", "-q").code, 0)
        XCTAssertTrue(try members("queue:critical").first?.contains("r3") == true)
    }

    /// An executable shell script in a temporary file.
    func script(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-handler-\(UUID().uuidString).sh").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }
}
