import Foundation
import MQTestSupport
import XCTest

final class PingCommandTests: CommandTestCase {
    func testPingJSONIsOneObject() throws {
        let result = mqctl(["ping", "--json", "--count", "4"], environment: environment)
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 1)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertTrue((object["version"] as? String)?.hasPrefix("7.") == true, result.stdout)
        XCTAssertEqual(object["mode"] as? String, "standalone")
        XCTAssertEqual(object["role"] as? String, "master")
        XCTAssertEqual(object["db"] as? Int, 0)
        XCTAssertEqual(object["pings"] as? Int, 4)
        let low = try XCTUnwrap(object["latency_min_seconds"] as? Double)
        let mean = try XCTUnwrap(object["latency_avg_seconds"] as? Double)
        let high = try XCTUnwrap(object["latency_max_seconds"] as? Double)
        XCTAssertTrue(low > 0 && low <= mean && mean <= high && high < 1, result.stdout)
        XCTAssertEqual(object["target"] as? String, "redis://127.0.0.1:\(server.port)/0")
    }

    /// An HTTP server on the port is named as such, exit 69 (unavailable), not 70.
    func testAServerThatIsNotRedisIsSaidSo() throws {
        let http = Process()
        http.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        http.arguments = ["-c", """
            import http.server
            s = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
            print(s.server_port, flush=True)
            s.serve_forever()
            """]
        let out = Pipe()
        http.standardOutput = out
        http.standardError = FileHandle.nullDevice
        try http.run()
        defer { http.terminate() }
        var portText = ""
        while !portText.hasSuffix("\n"), let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty {
            portText += String(decoding: byte, as: UTF8.self)
        }
        let port = try XCTUnwrap(Int(portText.trimmingCharacters(in: .whitespacesAndNewlines)))
        let result = mqctl(["ping", "-u", "redis://127.0.0.1:\(port)/0", "--timeout", "2s"], environment: [:])
        XCTAssertEqual(result.code, 69, result.stderr)
        XCTAssertTrue(result.stderr.contains("does not speak Redis"), result.stderr)
        XCTAssertTrue(result.stderr.contains("HTTP server"), result.stderr)
    }

    /// `mqctl completion bash` prints a script bash itself accepts.
    func testCompletionScripts() throws {
        let bash = mqctl(["completion", "bash"], environment: [:])
        XCTAssertEqual(bash.code, 0, bash.stderr)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-completion-\(UUID().uuidString.prefix(8)).bash")
        try bash.stdout.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/bash")
        check.arguments = ["-n", file.path]
        try check.run()
        check.waitUntilExit()
        XCTAssertEqual(check.terminationStatus, 0, "bash -n accepts the script")
        XCTAssertTrue(bash.stdout.contains("complete") && bash.stdout.contains("mqctl"))
        XCTAssertTrue(mqctl(["completion", "fish"], environment: [:]).stdout.contains("complete -c 'mqctl'"))
        XCTAssertEqual(mqctl(["completion", "tcsh"], environment: [:]).code, 64)
    }

    func testPingTableAndCSV() {
        let table = mqctl(["ping", "-o", "table"], environment: environment)
        XCTAssertEqual(table.code, 0, table.stderr)
        let lines = table.stdout.split(separator: "\n")
        XCTAssertTrue(lines.first?.hasPrefix("FIELD") == true, table.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("role") && $0.hasSuffix("master") }, table.stdout)

        let csv = mqctl(["ping", "-o", "csv"], environment: environment)
        let rows = csv.stdout.split(separator: "\r\n")
        XCTAssertEqual(rows.count, 2, csv.stdout)
        XCTAssertTrue(rows[0].hasPrefix("target,version,mode,role,db,pings,latency_min_seconds"), csv.stdout)

        let ndjson = mqctl(["ping", "-o", "ndjson"], environment: environment)
        XCTAssertEqual(ndjson.stdout.split(separator: "\n").count, 1)
    }

    func testGlobalOptionsBeforeTheCommandName() {
        let result = mqctl(["-u", server.url.replacingOccurrences(of: "/0", with: "/5"), "--json", "ping"], environment: [:])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\"db\":5"), result.stdout)
    }

    func testURLComesFromMQCTL_URLThenREDIS_URL() {
        let fromRedisURL = mqctl(["ping", "--json"], environment: ["REDIS_URL": server.url])
        XCTAssertEqual(fromRedisURL.code, 0, fromRedisURL.stderr)
        let closed = "redis://127.0.0.1:1/0"
        let preferred = mqctl(["ping", "--json"], environment: ["MQCTL_URL": closed, "REDIS_URL": server.url])
        XCTAssertEqual(preferred.code, 69, "MQCTL_URL must win over REDIS_URL")
        let flag = mqctl(["ping", "--json", "--url", server.url], environment: ["MQCTL_URL": closed])
        XCTAssertEqual(flag.code, 0, "--url must win over MQCTL_URL")
    }

    func testQuietPrintsNothing() {
        let result = mqctl(["ping", "-q"], environment: environment)
        XCTAssertEqual(result.code, 0)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "")
    }

    func testUsageErrors() {
        let badCount = mqctl(["ping", "--count", "0"], environment: environment)
        XCTAssertEqual(badCount.code, 64)
        XCTAssertTrue(badCount.stderr.hasPrefix("mqctl: error: --count must be at least 1"), badCount.stderr)
        let conflict = mqctl(["ping", "--json", "-o", "csv"], environment: environment)
        XCTAssertEqual(conflict.code, 64)
        XCTAssertTrue(conflict.stderr.contains("disagree"), conflict.stderr)
        let badTimeout = mqctl(["ping", "--timeout", "5"], environment: environment)
        XCTAssertEqual(badTimeout.code, 64)
        XCTAssertTrue(badTimeout.stderr.contains("invalid duration '5'"), badTimeout.stderr)
    }
}
