import Foundation
import MQRedis
import XCTest

/// Issue 18, points 1, 2, 4 and 5: monitoring that tells the truth about
/// queues that do not exist, queues that cannot be read, thresholds and
/// latency. Prometheus output is in PrometheusTests.
final class MonitoringTests: CommandTestCase {
    func enqueue(_ queue: String, _ payload: String = "x", _ options: String...) {
        let result = run(["enqueue", queue, payload, "-q"] + options)
        XCTAssertEqual(result.code, 0, result.stderr)
    }

    func object(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    // MARK: - 1. A queue that does not exist

    func testAnUnknownQueueIsAnErrorWithTheNearestName() throws {
        enqueue("orders")
        enqueue("mail")
        let typo = "mqctl: error: no queue 'odrers'\nhint: did you mean 'orders'?\n"
        for command in [["stats", "odrers"], ["stats", "orders", "odrers", "-o", "json"], ["peek", "odrers"], ["show", "odrers", "01ABC"],
                        ["dlq", "list", "odrers"], ["dlq", "export", "odrers"], ["events", "odrers", "--count", "1"]] {
            let result = run(command)
            XCTAssertEqual(result.code, 1, "\(command): \(result.stderr)")
            XCTAssertEqual(result.stderr, typo, "\(command)")
            XCTAssertEqual(result.stdout, "", "\(command): nothing half-printed")
        }
        let far = run("peek", "zebra")
        XCTAssertEqual(far.code, 1)
        XCTAssertEqual(far.stderr, "mqctl: error: no queue 'zebra'\nhint: the queues are mail, orders\n")

        // --allow-missing reads it as empty.
        let allowed = try json(run("stats", "odrers", "--allow-missing", "-o", "json"))
        let row = try XCTUnwrap((allowed["queues"] as? [[String: Any]])?.first)
        XCTAssertEqual(row["queue"] as? String, "odrers")
        XCTAssertEqual(row["ready"] as? Int, 0)
        XCTAssertEqual(run("peek", "odrers", "--allow-missing").code, 0)
        XCTAssertEqual(run("dlq", "list", "odrers", "--allow-missing", "-o", "json").stdout, "{\"items\":[],\"next_cursor\":null}\n")
        XCTAssertEqual(run("dlq", "export", "odrers", "--allow-missing").code, 0)

        // A queue is known by its registration or by any key of its own.
        _ = try redis("HSET", "mq:{unlisted}:config", "max_length", "10")
        XCTAssertEqual(run("stats", "unlisted").code, 0)
        _ = try redis("ZADD", "mq:{retrying}:retry", 1, "r1")
        XCTAssertEqual(run("stats", "retrying").code, 0)

        // Commands that create a queue still take a new name.
        XCTAssertEqual(run("enqueue", "fresh", "x", "-q").code, 0)
        XCTAssertEqual(run("queues", "create", "brand-new", "-q").code, 0)
        XCTAssertEqual(run("stats", "fresh", "brand-new").code, 0)
    }

    func testNoQueuesAtAllIsSaidSo() throws {
        let result = run("peek", "orders")
        XCTAssertEqual(result.code, 1)
        XCTAssertEqual(result.stderr, "mqctl: error: no queue 'orders'\nhint: there are no queues under the prefix 'mq' here; check --url and --prefix\n")
        let check = run("check", "--max-ready", "10")
        XCTAssertEqual(check.code, 3)
        XCTAssertEqual(check.stdout, "MQCTL UNKNOWN - no queues to check: none are known under the prefix 'mq' (name them, or --allow-missing)\n")
        let allowed = run("check", "--max-ready", "10", "--allow-missing")
        XCTAssertEqual(allowed.code, 0, allowed.stdout)
        XCTAssertEqual(allowed.stdout, "MQCTL OK - 0 queues within limits\n")
    }

    func testCheckOfAnUnknownQueueIsUnknownAndTheOthersAreJudged() throws {
        enqueue("orders")
        let unknown = run("check", "odrers", "--max-ready", "10", "--max-dead", "0")
        XCTAssertEqual(unknown.code, 3, unknown.stdout)
        XCTAssertEqual(unknown.stdout, "MQCTL UNKNOWN - no queue 'odrers' (did you mean 'orders'?)\n")
        let mixed = run("check", "orders", "odrers", "--max-ready", "0")
        XCTAssertEqual(mixed.code, 2, "a full queue outranks an unknown one")
        XCTAssertTrue(mixed.stdout.hasPrefix(
            "MQCTL CRITICAL - orders ready 1 > 0; UNKNOWN: no queue 'odrers' (did you mean 'orders'?) | orders_ready=1;;0 "), mixed.stdout)
        let allowed = run("check", "odrers", "--max-ready", "10", "--allow-missing")
        XCTAssertEqual(allowed.code, 0, allowed.stdout)
        XCTAssertTrue(allowed.stdout.hasPrefix("MQCTL OK - 1 queue within limits | odrers_ready=0;;10 odrers_latency=0s;; odrers_dead=0;;"),
                      allowed.stdout)
    }

    func testCheckTakesThresholdsFromTheConfigFileUnderItsOptions() throws {
        enqueue("orders")
        enqueue("orders")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-check-\(UUID().uuidString).toml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "[check]\nwarn_ready = 1\nmax_ready = \"5\"\nmax_latency = \"1h\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let warned = run("check", "--config", path)
        XCTAssertEqual(warned.code, 1, warned.stdout + warned.stderr)
        XCTAssertTrue(warned.stdout.hasPrefix("MQCTL WARNING - orders ready 2 > 1"), warned.stdout)
        let overridden = run("check", "--config", path, "--warn-ready", "3")
        XCTAssertEqual(overridden.code, 0, "an option replaces the file's value: \(overridden.stdout)")
        let crossed = run("check", "--config", path, "--warn-ready", "10")
        XCTAssertEqual(crossed.code, 64)
        XCTAssertTrue(crossed.stderr.contains("the options over the config file's [check]: warn_ready 10 would trip after max_ready 5"), crossed.stderr)

        for (text, message) in [
            ("[check]\nmax_dead = true\n", "\(path):2: check.max_dead: must be a number, or a range in quotes"),
            ("[check]\nmax_latency = \"soon\"\n", "\(path):2: check.max_latency: invalid duration 'soon'"),
            ("[check]\n\nmax_stuck = 1\n", "\(path):3: check.max_stuck: unknown key"),
            ("[check]\nwarn_dead = 9\nmax_dead = 3\n", "\(path):1: check: warn_dead 9 would trip after max_dead 3"),
        ] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let result = run("check", "--config", path)
            XCTAssertEqual(result.code, 64, text)
            XCTAssertTrue(result.stderr.contains(message), "\(text): \(result.stderr)")
        }
    }

    func testCheckWithoutThresholdsIsUnknownWithPerfdata() throws {
        enqueue("orders")
        let result = run("check")
        XCTAssertEqual(result.code, 3)
        XCTAssertNotNil(result.stdout.range(of: #"^MQCTL UNKNOWN - no thresholds given: set at least one --max-\* or --warn-\*, or a \[check\] table in the config file \(see mqctl check --help\) \| orders_ready=1;; orders_latency=\d+(\.\d)?s;; orders_dead=0;;\n$"#,
                                            options: .regularExpression), result.stdout)
        let stream = run("check", "--stream", "events")
        XCTAssertEqual(stream.code, 3, "a stream that does not exist is said first")
        XCTAssertEqual(stream.stdout, "MQCTL UNKNOWN - stream 'events' does not exist\n")
    }

    func testLayoutQueuesAreKnownByTheirKeys() throws {
        let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/examples/notifications.toml").path
        var environment = self.environment
        environment["MQCTL_CONFIG"] = config
        let before = mqctl(["check", "email", "--max-ready", "10"], environment: environment)
        XCTAssertEqual(before.code, 3, before.stdout)
        XCTAssertTrue(before.stdout.hasPrefix("MQCTL UNKNOWN - no queue 'email'"), before.stdout)
        XCTAssertEqual(mqctl(["--layout", "notify", "enqueue", "email", "{\"event_id\":\"1\"}", "-q"], environment: environment).code, 0)
        let after = mqctl(["check", "email", "--max-ready", "10"], environment: environment)
        XCTAssertEqual(after.code, 0, after.stdout + after.stderr)
        XCTAssertTrue(after.stdout.hasPrefix("MQCTL OK - 1 queue within limits | email_ready=1;;10 "), after.stdout)
        XCTAssertEqual(mqctl(["peek", "emial"], environment: environment).stderr, "mqctl: error: no queue 'emial'\nhint: did you mean 'email'?\n")
    }

    // MARK: - 2. One bad key

    func testOneBadKeySpoilsOnlyItsQueue() throws {
        enqueue("orders")
        enqueue("mail")
        _ = try redis("SADD", "mq:queues", "bad")
        _ = try redis("SET", "mq:{bad}:dead", "not a sorted set")
        let reason = "key mq:{bad}:dead is a string, expected a sorted set"

        let table = run("stats")
        XCTAssertEqual(table.code, 65)
        XCTAssertEqual(table.stderr, "mqctl: error: queue 'bad': \(reason)\n")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, table.stdout)
        XCTAssertTrue(lines[0].hasSuffix("STATUS  ERROR"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("bad ") && lines[1].hasSuffix("ERROR   \(reason)"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("mail ") && lines[2].contains("  OK"), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("orders ") && lines[3].contains("  OK"), lines[3])

        let rows = try XCTUnwrap(try object(run("stats", "-o", "json").stdout)["queues"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["queue"] as? String }, ["bad", "mail", "orders"])
        XCTAssertEqual(rows[0]["status"] as? String, "ERROR")
        XCTAssertEqual(rows[0]["error"] as? String, reason)
        XCTAssertTrue(rows[0]["ready"] is NSNull)
        XCTAssertEqual(rows[2]["ready"] as? Int, 1)
        XCTAssertNil(rows[2]["error"], "a queue that reads has no error field")

        let csv = run("stats", "-o", "csv").stdout.split(separator: "\r\n")
        XCTAssertTrue(csv[0].hasSuffix(",status,error"), String(csv[0]))
        XCTAssertTrue(csv[1].hasPrefix("bad,native,,,,,") && csv[1].hasSuffix(",ERROR,\"\(reason)\""), String(csv[1]))

        let check = run("check", "--max-ready", "5")
        XCTAssertEqual(check.code, 2, "a queue whose keys are broken cannot work: critical")
        XCTAssertTrue(check.stdout.hasPrefix("MQCTL CRITICAL - bad: \(reason) | mail_ready=1;;5 "), check.stdout)
        XCTAssertTrue(check.stdout.contains(" orders_ready=1;;5 "), check.stdout)
        XCTAssertEqual(run("check", "orders", "mail", "--max-ready", "5").code, 0, "the others are judged as usual")

        // A corrupt setting is the same: that queue only.
        _ = try redis("HSET", "mq:{mail}:config", "max_length", "lots")
        let two = try XCTUnwrap(try object(run("stats", "-o", "json").stdout)["queues"] as? [[String: Any]])
        XCTAssertEqual(two.map { $0["status"] as? String }, ["ERROR", "ERROR", "OK"])
        XCTAssertTrue((two[1]["error"] as? String)?.contains("mq:{mail}:config field max_length is 'lots'") == true, "\(two[1])")
    }

    // MARK: - 4. check

    func testCheckJSON() throws {
        enqueue("orders")
        enqueue("orders")
        enqueue("mail")
        let result = run("check", "--warn-ready", "1", "--max-ready", "5", "--max-dead", "0", "-o", "json")
        XCTAssertEqual(result.code, 1)
        let report = try object(result.stdout)
        XCTAssertEqual(report["status"] as? String, "WARNING")
        XCTAssertEqual(report["exit_code"] as? Int, 1)
        XCTAssertEqual(report["summary"] as? String, "orders ready 2 > 1")
        XCTAssertEqual(report["problems"] as? [[String: String]], [["status": "WARNING", "text": "orders ready 2 > 1"]])
        let queues = try XCTUnwrap(report["queues"] as? [[String: Any]])
        XCTAssertEqual(queues.map { $0["queue"] as? String }, ["mail", "orders"])
        XCTAssertEqual(queues.map { $0["status"] as? String }, ["OK", "WARNING"])
        let metrics = try XCTUnwrap(queues[1]["metrics"] as? [String: [String: Any]])
        XCTAssertEqual(metrics["ready"]?["value"] as? Int, 2)
        XCTAssertEqual(metrics["ready"]?["warning"] as? String, "1")
        XCTAssertEqual(metrics["ready"]?["critical"] as? String, "5")
        XCTAssertEqual(metrics["ready"]?["status"] as? String, "WARNING")
        XCTAssertEqual(metrics["dead"]?["critical"] as? String, "0")
        XCTAssertTrue(metrics["latency_seconds"]?["value"] is Double)
        XCTAssertEqual(Set(metrics.keys), ["ready", "latency_seconds", "dead", "overdue", "retry", "inflight", "failed_per_min", "rejected_per_min"])
        XCTAssertTrue((report["perfdata"] as? String)?.hasPrefix("mail_ready=1;1;5 ") == true, "\(report)")

        let unreachable = mqctl(["check", "--max-ready", "1", "-o", "json", "--timeout", "1s"], environment: ["MQCTL_URL": "redis://127.0.0.1:1/0"])
        XCTAssertEqual(unreachable.code, 3)
        XCTAssertEqual(try object(unreachable.stdout)["status"] as? String, "UNKNOWN")
        XCTAssertEqual(run("check", "--max-ready", "1", "-o", "csv").code, 64)
    }

    func testThresholdsAreRangesAndOrdered() throws {
        enqueue("orders")
        enqueue("orders")
        enqueue("orders")
        _ = try redis("HSET", "mq:{orders}:config", "max_length", "4")
        func check(_ arguments: String...) -> CommandResult { run(["check", "orders"] + arguments) }

        XCTAssertTrue(check("--max-ready", "~:2").stdout.hasPrefix("MQCTL CRITICAL - orders ready 3 > 2 | orders_ready=3;;~:2 "))
        let below = check("--max-ready", "10:")
        XCTAssertEqual(below.code, 2)
        XCTAssertTrue(below.stdout.hasPrefix("MQCTL CRITICAL - orders ready 3 < 10 | orders_ready=3;;10: "), below.stdout)
        XCTAssertTrue(check("--warn-ready", "@2:4").stdout.hasPrefix("MQCTL WARNING - orders ready 3 in @2:4 | orders_ready=3;@2:4; "))
        XCTAssertEqual(check("--warn-ready", "@4:9").code, 0)
        XCTAssertEqual(check("--max-ready", "1:5").code, 0)
        XCTAssertEqual(check("--max-ready", "5:9").code, 2)

        // Usage takes a percentage with or without %.
        let usage = check("--warn-usage", "70%", "--max-usage", "80")
        XCTAssertTrue(usage.stdout.hasPrefix("MQCTL WARNING - orders usage 75% > 70% |"), usage.stdout)
        XCTAssertTrue(usage.stdout.contains(" orders_usage=75%;70;80"), usage.stdout)
        XCTAssertEqual(check("--max-usage", "74%").code, 2)

        // Refused before anything is read: a warning after its critical, and what is not a threshold.
        for (arguments, message) in [
            (["--warn-ready", "10", "--max-ready", "5"], "--warn-ready 10 would trip after --max-ready 5: the warning limit 10 is above the critical one 5"),
            (["--warn-usage", "95%", "--max-usage", "80%"], "--warn-usage 95 would trip after --max-usage 80"),
            (["--warn-ready", "5:", "--max-ready", "10:"], "the warning limit 5: is below the critical one 10:"),
            (["--warn-latency", "10m", "--max-latency", "5m"], "--warn-latency 10m would trip after --max-latency 5m"),
            (["--stream", "s", "--warn-lag", "100", "--max-lag", "10"], "--warn-lag 100 would trip after --max-lag 10"),
            (["--max-ready", "9:1"], "'9:1' is not a threshold (the start is above the end)"),
            (["--max-dead", "5%"], "'5%' is not a threshold (it is a count, not a percentage)"),
            (["--max-ready", "lots"], "'lots' is not a threshold ('lots' is not a number)"),
        ] {
            let result = run(["check"] + arguments)
            XCTAssertEqual(result.code, 64, "\(arguments): \(result.stdout)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    func testNewThresholds() throws {
        enqueue("orders")
        let now = Int(Date().timeIntervalSince1970 * 1000)
        _ = try redis("ZADD", "mq:{orders}:delayed", now - 5_000, "due1", now - 4_000, "due2")
        _ = try redis("ZADD", "mq:{orders}:retry", now + 60_000, "r1", now + 60_000, "r2", now + 60_000, "r3")
        _ = try redis("ZADD", "mq:{orders}:inflight", now + 30_000, "i1")
        _ = try redis("SET", "mq:{orders}:count:failed:\(now / 60_000 - 1)", 12)
        let cases: [([String], Int32, String)] = [
            (["--max-overdue", "1"], 2, "orders overdue 2 > 1"),
            (["--warn-retry", "2", "--max-retry", "5"], 1, "orders retry 3 > 2"),
            (["--max-inflight", "0"], 2, "orders inflight 1 > 0"),
            (["--warn-fail-rate", "10", "--max-fail-rate", "20"], 1, "orders fail_rate 12 > 10"),
        ]
        for (arguments, code, problem) in cases {
            let result = run(["check", "orders"] + arguments)
            XCTAssertEqual(result.code, code, "\(arguments): \(result.stdout)")
            XCTAssertTrue(result.stdout.hasPrefix("MQCTL \(code == 2 ? "CRITICAL" : "WARNING") - \(problem) | "), result.stdout)
        }
        let all = run("check", "orders", "--max-overdue", "5", "--max-retry", "5", "--max-inflight", "5", "--max-fail-rate", "50")
        XCTAssertEqual(all.code, 0, all.stdout)
        for item in ["orders_overdue=2;;5", "orders_retry=3;;5", "orders_inflight=1;;5", "orders_fail_rate=12;;50"] {
            XCTAssertTrue(all.stdout.contains(item), "perfdata for a value with a threshold: \(item) in \(all.stdout)")
        }
        XCTAssertFalse(run("check", "orders", "--max-ready", "5").stdout.contains("overdue"), "no perfdata for what has no threshold beyond the four")
    }

    /// Enqueues refused at max_length are counted, shown and alerted on.
    func testRejectedEnqueuesAreCounted() throws {
        XCTAssertEqual(run("queues", "create", "small", "--max-length", "2").code, 0)
        XCTAssertEqual(run("enqueue", "small", "--stdin", stdin: "a\nb\nc\nd\n").code, 75, "full after two: EX_TEMPFAIL")
        let row = try XCTUnwrap((try json(run("stats", "small", "-o", "json"))["queues"] as? [[String: Any]])?.first)
        XCTAssertEqual(row["rejected"] as? Int, 2)
        XCTAssertTrue(run("stats", "small", "-o", "prometheus").stdout.contains("mqctl_queue_rejected_total{queue=\"small\"} 2\n"))
        // The check judges the last full minute.
        let minute = Int(Date().timeIntervalSince1970 * 1000) / 60_000 - 1
        _ = try redis("SET", "mq:{small}:count:rejected:\(minute)", 7)
        let check = run("check", "small", "--warn-rejected", "0", "--max-rejected", "5")
        XCTAssertEqual(check.code, 2, check.stdout)
        XCTAssertTrue(check.stdout.hasPrefix("MQCTL CRITICAL - small rejected 7 > 5 | "), check.stdout)
    }

    func testWarningAndCriticalAreReportedApart() throws {
        enqueue("orders")
        enqueue("orders")
        enqueue("mail")
        let now = Int(Date().timeIntervalSince1970 * 1000)
        _ = try redis("ZADD", "mq:{mail}:dead", now, "d1")
        let result = run("check", "--max-ready", "1", "--warn-dead", "0")
        XCTAssertEqual(result.code, 2)
        XCTAssertTrue(result.stdout.hasPrefix("MQCTL CRITICAL - orders ready 2 > 1; WARNING: mail dead 1 > 0 | "), result.stdout)
        let two = run("check", "--max-ready", "0", "--warn-dead", "0")
        XCTAssertTrue(two.stdout.hasPrefix("MQCTL CRITICAL - mail ready 1 > 0, orders ready 2 > 0; WARNING: mail dead 1 > 0 | "), two.stdout)
    }

    func testPausedLongerThan() throws {
        // Paused by hand, before any audit entry: the log cannot tell since when.
        _ = try redis("SADD", "mq:queues", "mail")
        _ = try redis("HSET", "mq:{mail}:config", "paused", "1")
        let unknown = run("check", "mail", "--max-paused", "1h")
        XCTAssertEqual(unknown.code, 3, unknown.stdout)
        XCTAssertEqual(unknown.stdout, "MQCTL UNKNOWN - mail paused since a time the audit log does not hold | mail_ready=0;; mail_latency=0s;; mail_dead=0;; mail_paused=0s;;3600\n")

        enqueue("orders")
        XCTAssertEqual(run("queues", "pause", "orders", "-q").code, 0)
        XCTAssertEqual(run("check", "orders", "--max-paused", "1h").code, 0)
        Thread.sleep(forTimeInterval: 1.1)
        let long = run("check", "orders", "--warn-paused", "500ms", "--max-paused", "1h")
        XCTAssertEqual(long.code, 1, long.stdout)
        XCTAssertTrue(long.stdout.hasPrefix("MQCTL WARNING - orders paused 1s > 0.5s | "), long.stdout)
        XCTAssertNotNil(long.stdout.range(of: #"orders_paused=1\.\ds;0\.5;3600\n$"#, options: .regularExpression), long.stdout)
        XCTAssertEqual(run("check", "orders", "--max-ready", "5").code, 0, "paused is judged only with a paused threshold")

        // mail's pause is older than the log's oldest entry, which is 1s old: at least that long.
        let lower = run("check", "mail", "--warn-paused", "500ms")
        XCTAssertEqual(lower.code, 1, lower.stdout)
        XCTAssertTrue(lower.stdout.hasPrefix("MQCTL WARNING - mail paused 1s > 0.5s"), lower.stdout)
        let unsure = run("check", "mail", "--max-paused", "1h")
        XCTAssertEqual(unsure.code, 3, unsure.stdout)
        XCTAssertTrue(unsure.stdout.hasPrefix("MQCTL UNKNOWN - mail paused since before the audit log's oldest entry (1s ago) |"), unsure.stdout)

        XCTAssertEqual(run("queues", "resume", "orders", "-q").code, 0)
        XCTAssertEqual(run("check", "orders", "--warn-paused", "500ms").code, 0)
    }

    // MARK: - 5. Latency

    func testLatencyKeepsTheOriginalEnqueueTime() throws {
        let hourAgo = Date(timeIntervalSinceNow: -3600)
        let failed = Date(timeIntervalSinceNow: -600)
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let line = #"{"id":"old1","queue":"orders","state":"dead","priority":"normal","attempts":3,"max_attempts":3,"#
            + #""enqueued_at":"\#(format.string(from: hourAgo))","run_at":"\#(format.string(from: hourAgo))","#
            + #""failed_at":"\#(format.string(from: failed))","last_error":"boom","headers":{},"payload":"hi"}"#
        XCTAssertEqual(run("dlq", "import", "orders", "-q", stdin: line + "\n").code, 0)
        XCTAssertEqual(run("dlq", "replay", "orders", "--all", "-q").code, 0)
        enqueue("mail")

        let rows = try XCTUnwrap(try json(run("stats", "-o", "json"))["queues"] as? [[String: Any]])
        let orders = try XCTUnwrap(rows.first { $0["queue"] as? String == "orders" })
        XCTAssertEqual(try XCTUnwrap(orders["latency_seconds"] as? Double), 3600, accuracy: 30, "a replayed message keeps its age")

        let table = run("stats").stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(table[0].contains("  LATENCY  WAITING  "), "the wait since due is shown where it differs: \(table[0])")
        let ordersRow = try XCTUnwrap(table.first { $0.hasPrefix("orders ") })
        XCTAssertNotNil(ordersRow.range(of: #"  1h +\d+(ms|\.\ds)  "#, options: .regularExpression), ordersRow)

        let check = run("check", "orders", "--max-latency", "30m")
        XCTAssertEqual(check.code, 2)
        XCTAssertNotNil(check.stdout.range(of: #"^MQCTL CRITICAL - orders latency 36\d\ds > 1800s \|"#, options: .regularExpression), check.stdout)
    }

    func testAnEmptyQueueHasNoLatency() throws {
        XCTAssertEqual(run("queues", "create", "idle", "-q").code, 0)
        enqueue("busy")
        let rows = try XCTUnwrap(try json(run("stats", "-o", "json"))["queues"] as? [[String: Any]])
        XCTAssertTrue(rows.first { $0["queue"] as? String == "idle" }?["latency_seconds"] is NSNull, "\(rows)")
        XCTAssertTrue(rows.first { $0["queue"] as? String == "busy" }?["latency_seconds"] is Double, "\(rows)")
        let table = run("stats").stdout.split(separator: "\n").map(String.init)
        let header = table[0]
        let column = try XCTUnwrap(header.range(of: "LATENCY")).upperBound
        let idle = try XCTUnwrap(table.first { $0.hasPrefix("idle ") })
        XCTAssertEqual(idle[idle.index(before: column)], "-", idle)
        XCTAssertFalse(idle.contains("µs"), idle)
        let csv = run("stats", "idle", "-o", "csv").stdout.split(separator: "\r\n").map(String.init)
        let names = csv[0].split(separator: ",", omittingEmptySubsequences: false)
        let values = csv[1].split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertEqual(values[try XCTUnwrap(names.firstIndex(of: "latency_seconds"))], "")
        let metrics = try XCTUnwrap(try object(run("check", "idle", "--max-latency", "1m", "-o", "json").stdout)["queues"] as? [[String: Any]])
        XCTAssertTrue((metrics[0]["metrics"] as? [String: [String: Any]])?["latency_seconds"]?["value"] is NSNull)
    }
}
