import Foundation
import XCTest

final class QueueCommandTests: CommandTestCase {
    func enqueue(_ queue: String, _ payload: String, _ options: String...) {
        let result = mqctl(["enqueue", queue, payload] + options, environment: environment)
        XCTAssertEqual(result.code, 0, result.stderr)
    }

    func testPeekShowsStrictPriorityOrder() throws {
        enqueue("orders", "n1")
        enqueue("orders", "u1", "--priority", "urgent")
        enqueue("orders", "e1", "--priority", "express")
        enqueue("orders", "n2")
        enqueue("orders", "e2", "--priority", "express")
        let peeked = try json(run("peek", "orders", "--json"))
        let payloads = (peeked["messages"] as? [[String: Any]])?.compactMap { $0["payload"] as? String }
        XCTAssertEqual(payloads, ["e1", "e2", "u1", "n1", "n2"])
        let limited = try json(run("peek", "orders", "-c", "2", "--json"))
        XCTAssertEqual((limited["messages"] as? [Any])?.count, 2)
    }

    func testStatsInEveryFormat() throws {
        enqueue("orders", "a", "--priority", "express")
        enqueue("orders", "b", "--delay", "1h")
        enqueue("mail", "c")
        let object = try json(run("stats", "--json"))
        let queues = try XCTUnwrap(object["queues"] as? [[String: Any]])
        XCTAssertEqual(queues.map { $0["queue"] as? String }, ["mail", "orders"])
        let orders = queues[1]
        let expectedKeys: Set<String> = [
            "queue", "layout", "ready", "ready_by_priority", "delayed", "retry", "inflight", "dead", "dead_trimmed", "latency_seconds", "overdue",
            "next_due_seconds", "processed", "failed", "processed_per_min", "failed_per_min", "rejected", "rejected_per_min", "paused", "max_length",
            "usage_pct", "status",
        ]
        XCTAssertEqual(Set(orders.keys), expectedKeys)
        XCTAssertEqual(orders["ready"] as? Int, 1)
        XCTAssertEqual(orders["ready_by_priority"] as? [String: Int], ["express": 1, "urgent": 0, "normal": 0])
        XCTAssertEqual(orders["delayed"] as? Int, 1)
        XCTAssertEqual(orders["status"] as? String, "OK")
        XCTAssertTrue(orders["max_length"] is NSNull)
        XCTAssertGreaterThan(try XCTUnwrap(orders["next_due_seconds"] as? Double), 3500)

        let named = try json(run("stats", "orders", "--json"))
        XCTAssertEqual((named["queues"] as? [Any])?.count, 1)

        let ndjson = run("stats", "-o", "ndjson")
        XCTAssertEqual(ndjson.stdout.split(separator: "\n").count, 2)

        let csv = run("stats", "-o", "csv").stdout.split(separator: "\r\n")
        XCTAssertEqual(csv.count, 3)
        XCTAssertTrue(csv[0].hasPrefix("queue,layout,ready,ready_by_priority.express,ready_by_priority.urgent,ready_by_priority.normal,delayed"), String(csv[0]))

        let table = run("stats").stdout.split(separator: "\n")
        XCTAssertEqual(table.count, 3)
        XCTAssertTrue(table[0] == "QUEUE   READY  DELAYED  RETRY  INFLIGHT  DEAD  LATENCY  STATUS", String(table[0]))

        let prometheus = run("stats", "-o", "prometheus").stdout
        XCTAssertTrue(prometheus.contains("# TYPE mqctl_queue_ready gauge\n"), prometheus)
        XCTAssertTrue(prometheus.contains("mqctl_queue_ready{queue=\"orders\",priority=\"express\"} 1\n"), prometheus)
        XCTAssertTrue(prometheus.contains("mqctl_queue_delayed{queue=\"orders\"} 1\n"), prometheus)
        XCTAssertTrue(prometheus.contains("# TYPE mqctl_queue_processed_total counter\n"), prometheus)

        let wrongFormat = run("peek", "orders", "-o", "prometheus")
        XCTAssertEqual(wrongFormat.code, 64)
    }

    func testCheckExitCodes() throws {
        let nothing = run("check")
        XCTAssertEqual(nothing.code, 3, "no queues and no thresholds: UNKNOWN, never OK")
        XCTAssertTrue(nothing.stdout.hasPrefix("MQCTL UNKNOWN"), nothing.stdout)
        enqueue("orders", "a")
        enqueue("orders", "b")
        enqueue("orders", "c")
        let ok = run("check", "--max-ready", "5")
        XCTAssertEqual(ok.code, 0)
        XCTAssertTrue(ok.stdout.hasPrefix("MQCTL OK - 1 queue within limits | orders_ready=3;;5 "), ok.stdout)
        let warning = run("check", "--warn-ready", "2", "--max-ready", "5")
        XCTAssertEqual(warning.code, 1)
        XCTAssertTrue(warning.stdout.hasPrefix("MQCTL WARNING - orders ready 3 > 2 |"), warning.stdout)
        let critical = run("check", "orders", "--warn-ready", "1", "--max-ready", "2")
        XCTAssertEqual(critical.code, 2)
        XCTAssertTrue(critical.stdout.hasPrefix("MQCTL CRITICAL - orders ready 3 > 2 |"), critical.stdout)
        let latency = run("check", "--max-latency", "1h")
        XCTAssertEqual(latency.code, 0)
        let unreachable = mqctl(["check", "-u", "redis://127.0.0.1:1"], environment: [:])
        XCTAssertEqual(unreachable.code, 3)
        XCTAssertTrue(unreachable.stdout.hasPrefix("MQCTL UNKNOWN - could not connect"), unreachable.stdout)
    }

    func testQueuesLifecycle() throws {
        let created = try json(run("queues", "create", "orders", "--max-length", "100", "--max-attempts", "5", "--dead-max-age", "7d", "--json"))
        XCTAssertEqual(created["max_length"] as? Int, 100)
        XCTAssertEqual(created["max_attempts"] as? Int, 5)
        XCTAssertEqual(created["dead_max_age_seconds"] as? Double, 604_800)
        let config = try json(run("queues", "config", "orders", "--max-length", "0", "--json"))
        XCTAssertTrue(config["max_length"] is NSNull)
        XCTAssertEqual(config["max_attempts"] as? Int, 5)
        XCTAssertEqual(run("queues", "config", "ghost").code, 1)

        XCTAssertEqual(run("queues", "pause", "orders").code, 0)
        let paused = try json(run("stats", "orders", "--json"))
        XCTAssertEqual((paused["queues"] as? [[String: Any]])?.first?["paused"] as? Bool, true)
        XCTAssertEqual(run("queues", "resume", "orders").code, 0)

        enqueue("orders", "keep me")
        let listed = try json(run("queues", "list", "--json"))
        XCTAssertEqual((listed["queues"] as? [[String: Any]])?.first?["messages"] as? Int, 1)

        let refused = run("queues", "delete", "orders", "--yes")
        XCTAssertEqual(refused.code, 1)
        XCTAssertTrue(refused.stderr.contains("still holds 1 messages; use --force"), refused.stderr)
        let noTTY = run("queues", "delete", "orders", "--force")
        XCTAssertEqual(noTTY.code, 64)
        XCTAssertTrue(noTTY.stderr.contains("needs --yes") || noTTY.stderr.contains("without --yes"), noTTY.stderr)
        XCTAssertEqual(try redis("LLEN", "mq:{orders}:ready:normal").int(), 1, "nothing deleted")
        let deleted = try json(run("queues", "delete", "orders", "--force", "--yes", "--json"))
        XCTAssertEqual(deleted["deleted_messages"] as? Int, 1)
        XCTAssertEqual(try redis("EXISTS", "mq:{orders}:ready:normal", "mq:{orders}:config").int(), 0)
        XCTAssertEqual(run("queues", "delete", "orders", "--yes").code, 1)
    }

    func testDelayedListCancelRunNowAndPromote() throws {
        enqueue("orders", "soon", "--id", "d1", "--delay", "1h")
        enqueue("orders", "later", "--id", "d2", "--delay", "2h")
        enqueue("orders", "gone", "--id", "d3", "--delay", "3h")
        let listed = try json(run("delayed", "list", "orders", "--json"))
        let items = try XCTUnwrap(listed["delayed"] as? [[String: Any]])
        XCTAssertEqual(items.map { $0["id"] as? String }, ["d1", "d2", "d3"])
        XCTAssertGreaterThan(try XCTUnwrap(items[0]["due_in_seconds"] as? Double), 3500)

        let runNow = try json(run("delayed", "run-now", "orders", "d1", "--json"))
        XCTAssertEqual(runNow["moved"] as? Int, 1)
        let cancel = run("delayed", "cancel", "orders", "d3", "nope", "--yes", "--json")
        XCTAssertEqual(cancel.code, 1)
        XCTAssertTrue(cancel.stderr.contains("not delayed in 'orders': nope"), cancel.stderr)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:delayed").int(), 1)
        XCTAssertEqual(try redis("LRANGE", "mq:{orders}:ready:normal", 0, -1), .array([.bulk(Array("d1".utf8))]))

        // Make d2 due, then one promote pass moves it.
        _ = try redis("ZADD", "mq:{orders}:delayed", 1, "d2")
        let promoted = try json(run("promote", "--json"))
        XCTAssertEqual((promoted["queues"] as? [[String: Any]])?.first?["from_delayed"] as? Int, 1)
        XCTAssertEqual(try redis("LLEN", "mq:{orders}:ready:normal").int(), 2)
    }

    func testShowOfAMissingMessageExits1() {
        enqueue("orders", "a")
        let result = run("show", "orders", "nope")
        XCTAssertEqual(result.code, 1)
        XCTAssertEqual(result.stderr, "mqctl: error: no message 'nope' in queue 'orders'\n")
    }

    func testWrongKeyTypeExits65() throws {
        _ = try redis("SADD", "mq:queues", "orders")
        _ = try redis("SET", "mq:{orders}:retry", "not a zset")
        let result = run("stats")
        XCTAssertEqual(result.code, 65)
        XCTAssertTrue(result.stderr.contains("key mq:{orders}:retry is a string, expected a sorted set"), result.stderr)
    }

    func testDoctor() throws {
        let result = try json(run("doctor", "--json").withCode(0))
        let checks = try XCTUnwrap(result["checks"] as? [[String: String]])
        let byName = Dictionary(uniqueKeysWithValues: checks.map { ($0["check"]!, $0["status"]!) })
        XCTAssertEqual(byName["maxmemory-policy"], "OK")
        XCTAssertEqual(byName["appendonly"], "WARN", "the test server runs without AOF")
        XCTAssertEqual(byName["replicas"], "WARN")
        XCTAssertEqual(byName["version"], "OK")
        XCTAssertEqual(run("doctor").code, 1, "exits 1 while anything is not OK")
        _ = try redis("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        defer { _ = try? redis("CONFIG", "SET", "maxmemory-policy", "noeviction") }
        let evicting = try json(run("doctor", "--json").withCode(0))
        let policy = (evicting["checks"] as? [[String: String]])?.first { $0["check"] == "maxmemory-policy" }
        XCTAssertEqual(policy?["status"], "WARN")
        XCTAssertTrue(policy?["detail"]?.hasPrefix("allkeys-lru") == true)
    }
}

extension CommandResult {
    /// The same result with its exit code replaced, to read the JSON of a
    /// command that exits non-zero by design (doctor, check).
    func withCode(_ code: Int32) -> CommandResult {
        CommandResult(code: code, stdout: stdout, stderr: stderr)
    }
}

final class WrongTypeCommandTests: CommandTestCase {
    /// A key of the wrong type is named, with what it is and what mqctl
    /// expects, and exits 65; nothing else is touched.
    func testWrongTypesAreNamedAndExit65() throws {
        XCTAssertEqual(run("enqueue", "good", "x", "-q").code, 0)
        try redis("SADD", "mq:queues", "typo")
        try redis("SET", "mq:{typo}:ready:normal", "not a list")
        try redis("HSET", "mq:{typo}:dead", "a", "b")

        for (arguments, message) in [
            (["peek", "typo"], "key mq:{typo}:ready:normal is a string, expected a list"),
            (["stats", "typo"], "key mq:{typo}:ready:normal is a string, expected a list"),
            (["dlq", "list", "typo"], "key mq:{typo}:dead is a hash, expected a sorted set"),
            (["work", "typo", "--burst", "--", "true"], "key mq:{typo}:ready:normal is a string, expected a list"),
        ] {
            let result = mqctl(arguments, environment: environment)
            XCTAssertEqual(result.code, 65, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        XCTAssertEqual(try redis("LLEN", "mq:{good}:ready:normal").int(), 1)
        XCTAssertEqual(try redis("GET", "mq:{typo}:ready:normal").string(), "not a list")
    }
}
