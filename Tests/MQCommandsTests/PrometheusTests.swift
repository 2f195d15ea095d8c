import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// Issue 18, point 3: `stats -o prometheus` as exporters give it, read back
/// with prometheus_client's own parser (Scripts/lib/interop/prometheus_check.py
/// in the venv `Scripts/interop setup` builds), and `--output` for
/// node_exporter's textfile collector.
final class PrometheusTests: CommandTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Sample {
        var labels: [String: String]
        var value: Double
    }

    /// The samples by name, as prometheus_client reads `text`; fails the
    /// test (never skips) when the parser is missing or refuses the text.
    func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: [Sample]] {
        let venv = ProcessInfo.processInfo.environment["MQCTL_INTEROP_VENV"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/mqctl-interop/venv").path
        let python = venv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw FixtureError("no Python venv at \(venv) for prometheus_client: run Scripts/interop setup")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.root.appendingPathComponent("Scripts/lib/interop/prometheus_check.py").path]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let json = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if stderr.contains("No module named 'prometheus_client'") {
            throw FixtureError("prometheus_client is not in \(venv): run Scripts/interop setup")
        }
        guard process.terminationStatus == 0 else {
            XCTFail("the exposition does not parse: \(stderr)\n\(text)", file: file, line: line)
            throw FixtureError(stderr)
        }
        let families = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: [String: Any]])
        var samples: [String: [Sample]] = [:]
        for family in families.values {
            for sample in family["samples"] as? [[String: Any]] ?? [] {
                samples[sample["name"] as! String, default: []].append(
                    Sample(labels: sample["labels"] as? [String: String] ?? [:], value: (sample["value"] as? NSNumber)?.doubleValue ?? .nan))
            }
        }
        return samples
    }

    func value(_ samples: [String: [Sample]], _ name: String, _ labels: [String: String] = [:],
               file: StaticString = #filePath, line: UInt = #line) -> Double? {
        let found = samples[name]?.first { $0.labels == labels }?.value
        if found == nil { XCTFail("no \(name)\(labels) in \(samples.keys.sorted())", file: file, line: line) }
        return found
    }

    func testExporterMetricsParse() throws {
        let now = Int(Date().timeIntervalSince1970 * 1000)
        XCTAssertEqual(run("queues", "create", "orders", "--max-length", "10", "-q").code, 0)
        for _ in 0..<3 { XCTAssertEqual(run("enqueue", "orders", "x", "-q").code, 0) }
        XCTAssertEqual(run("enqueue", "mail", "y", "-q").code, 0)
        _ = try redis("ZADD", "mq:{orders}:inflight", now - 1_000, "lost1", now + 60_000, "held1")
        _ = try redis("ZADD", "mq:{orders}:dead", now - 120_000, "d1", now - 5_000, "d2")
        _ = try redis("ZADD", "mq:workers", now, "w1", now - 60_000, "gone")
        let maxmemory = try Double(redis("CONFIG", "GET", "maxmemory").array()[1].string())!

        let result = run("stats", "-o", "prometheus")
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let samples = try parse(result.stdout)
        XCTAssertEqual(value(samples, "mqctl_up"), 1)
        XCTAssertGreaterThan(try XCTUnwrap(value(samples, "mqctl_scrape_duration_seconds")), 0)
        XCTAssertEqual(value(samples, "mqctl_queue_up", ["queue": "orders"]), 1)
        XCTAssertEqual(value(samples, "mqctl_queue_ready", ["queue": "orders", "priority": "normal"]), 3)
        XCTAssertEqual(value(samples, "mqctl_queue_enqueued_total", ["queue": "orders"]), 3)
        XCTAssertEqual(value(samples, "mqctl_queue_enqueued_total", ["queue": "mail"]), 1)
        XCTAssertEqual(value(samples, "mqctl_queue_inflight", ["queue": "orders"]), 2)
        XCTAssertEqual(value(samples, "mqctl_queue_expired_leases", ["queue": "orders"]), 1)
        XCTAssertEqual(try XCTUnwrap(value(samples, "mqctl_queue_dead_oldest_age_seconds", ["queue": "orders"])), 120, accuracy: 10)
        XCTAssertEqual(value(samples, "mqctl_queue_dead_oldest_age_seconds", ["queue": "mail"]), 0)
        XCTAssertEqual(value(samples, "mqctl_queue_usage_ratio", ["queue": "orders"]), 0.3)
        XCTAssertEqual(value(samples, "mqctl_workers"), 1, "only the worker with a fresh heartbeat")
        XCTAssertGreaterThan(try XCTUnwrap(value(samples, "mqctl_redis_memory_used_bytes")), 100_000)
        XCTAssertEqual(value(samples, "mqctl_redis_memory_max_bytes"), maxmemory)
        XCTAssertNotNil(samples["mqctl_queue_latency_seconds"])
        XCTAssertNotNil(samples["mqctl_queue_processed_total"])
    }

    func testABrokenQueueIsDownAndTheOthersAreReported() throws {
        XCTAssertEqual(run("enqueue", "orders", "x", "-q").code, 0)
        _ = try redis("SADD", "mq:queues", "bad")
        _ = try redis("SET", "mq:{bad}:dead", "x")
        let result = run("stats", "-o", "prometheus")
        XCTAssertEqual(result.code, 65)
        XCTAssertEqual(result.stderr, "mqctl: error: queue 'bad': key mq:{bad}:dead is a string, expected a sorted set\n")
        let samples = try parse(result.stdout)
        XCTAssertEqual(value(samples, "mqctl_up"), 1)
        XCTAssertEqual(value(samples, "mqctl_queue_up", ["queue": "bad"]), 0)
        XCTAssertEqual(value(samples, "mqctl_queue_up", ["queue": "orders"]), 1)
        XCTAssertEqual(value(samples, "mqctl_queue_ready", ["queue": "orders", "priority": "normal"]), 1)
        XCTAssertNil(samples["mqctl_queue_dead"]?.first { $0.labels["queue"] == "bad" }, "nothing made up for the broken queue")

        // A queue named that does not exist is down too.
        let named = run("stats", "orders", "odrers", "-o", "prometheus")
        XCTAssertEqual(named.code, 1)
        XCTAssertEqual(named.stderr, "mqctl: error: no queue 'odrers'\nhint: did you mean 'orders'?\n")
        let both = try parse(named.stdout)
        XCTAssertEqual(value(both, "mqctl_queue_up", ["queue": "odrers"]), 0)
        XCTAssertEqual(value(both, "mqctl_queue_up", ["queue": "orders"]), 1)
    }

    func testOutputFileIsReplacedWholeEvenWhenRedisIsDown() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-textfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("mqctl.prom").path
        XCTAssertEqual(run("enqueue", "orders", "x", "-q").code, 0)

        let written = run("stats", "-o", "prometheus", "--output", file)
        XCTAssertEqual(written.code, 0, written.stderr)
        XCTAssertEqual(written.stdout, "", "the file, not stdout")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["mqctl.prom"], "no temporary file left")
        let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o044, 0o044, "readable by a collector running as another user")
        let up = try parse(try String(contentsOfFile: file, encoding: .utf8))
        XCTAssertEqual(value(up, "mqctl_queue_ready", ["queue": "orders", "priority": "normal"]), 1)

        let down = mqctl(["stats", "-o", "prometheus", "--output", file, "--timeout", "1s"], environment: ["MQCTL_URL": "redis://127.0.0.1:1/0"])
        XCTAssertEqual(down.code, 69)
        XCTAssertTrue(down.stderr.hasPrefix("mqctl: error: could not connect"), down.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["mqctl.prom"])
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let samples = try parse(text)
        XCTAssertEqual(value(samples, "mqctl_up"), 0)
        XCTAssertNotNil(samples["mqctl_scrape_duration_seconds"])
        XCTAssertNil(samples["mqctl_queue_ready"], "old queue figures are not served as if fresh")

        // Any format goes to the file; an unwritable place is refused, leaving nothing.
        XCTAssertEqual(run("stats", "-o", "json", "--output", file).code, 0)
        XCTAssertTrue(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("{\"queues\":["))
        let nowhere = run("stats", "-o", "prometheus", "--output", folder.appendingPathComponent("missing/mqctl.prom").path)
        XCTAssertEqual(nowhere.code, 64)
        XCTAssertTrue(nowhere.stderr.contains("cannot write"), nowhere.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["mqctl.prom"])
        XCTAssertEqual(run("stats", "--watch", "--output", file).code, 64)
    }

    func testLayoutQueuesAndWaitingAreExported() throws {
        let config = Self.root.appendingPathComponent("Scripts/examples/notifications.toml").path
        var environment = self.environment
        environment["MQCTL_CONFIG"] = config
        let created = Int(Date().timeIntervalSince1970 * 1000) - 30_000
        XCTAssertEqual(mqctl(["--layout", "notify", "enqueue", "email", "{\"event_id\":\"1\",\"created_at_ms\":\(created)}", "-q"],
                             environment: environment).code, 0)
        XCTAssertEqual(mqctl(["enqueue", "orders", "x", "-q"], environment: environment).code, 0)
        let result = mqctl(["stats", "-o", "prometheus"], environment: environment)
        XCTAssertEqual(result.code, 0, result.stderr)
        let samples = try parse(result.stdout)
        let email = ["queue": "email", "layout": "notify"]
        XCTAssertEqual(value(samples, "mqctl_queue_up", email), 1)
        XCTAssertEqual(try XCTUnwrap(value(samples, "mqctl_queue_latency_seconds", email)), 30, accuracy: 5)
        XCTAssertNil(samples["mqctl_queue_waiting_seconds"]?.first { $0.labels == email }, "a layout keeps no due time: absent, not 0")
        XCTAssertNotNil(value(samples, "mqctl_queue_waiting_seconds", ["queue": "orders"]))
    }
}
