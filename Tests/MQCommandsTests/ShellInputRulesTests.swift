import Foundation
import MQLineEditor
import MQRedis
import MQTestSupport
import XCTest

/// Small input rules an operator meets at a terminal: blank lines of
/// `enqueue --stdin`, a long list of ids refused by `dlq import`, and the
/// shell's history file.
final class ShellInputRulesTests: CommandTestCase {
    func testBlankLinesOfStdinAreSkippedAndCounted() throws {
        let result = try json(run("enqueue", "orders", "--stdin", "--json", stdin: "a\n\n  \nb\n\t\nc\n\n"))
        XCTAssertEqual(result["enqueued"] as? Int, 3)
        XCTAssertEqual(result["skipped"] as? Int, 4)
        let ids = try redis("LRANGE", "mq:{orders}:ready:normal", 0, -1).array().map { try $0.string() }
        XCTAssertEqual(try ids.map { try redis("HGET", "mq:{orders}:msg:\($0)", "payload").string() }.sorted(), ["a", "b", "c"])

        let ndjson = try json(run("enqueue", "orders", "--stdin", "--ndjson", "--json", stdin: "{\"payload\": \"d\"}\n\n"))
        XCTAssertEqual(ndjson["enqueued"] as? Int, 1)
        XCTAssertEqual(ndjson["skipped"] as? Int, 1)

        let table = run("enqueue", "orders", "--stdin", stdin: "e\n\n")
        XCTAssertEqual(table.code, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("skipped      1"), table.stdout)
    }

    func testAnEmptyMessageIsStillPossibleOnPurpose() throws {
        XCTAssertEqual(run("enqueue", "orders", "").code, 0)
        XCTAssertEqual(run("enqueue", "orders", "-f", "/dev/null").code, 0)
        let ids = try redis("LRANGE", "mq:{orders}:ready:normal", 0, -1).array().map { try $0.string() }
        XCTAssertEqual(ids.count, 2)
        for id in ids { XCTAssertEqual(try redis("HGET", "mq:{orders}:msg:\(id)", "payload").string(), "") }
        let missing = run("enqueue", "orders", "-f", "/nonexistent/payload")
        XCTAssertEqual(missing.code, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("cannot read -f /nonexistent/payload: No such file or directory"), missing.stderr)
    }

    func testImportNamesAFewExistingIdsAndCountsTheRest() throws {
        let lines = (0..<40).map { #"{"id": "m\#($0)", "payload": "p", "attempts": 3, "last_error": "boom"}"# }.joined(separator: "\n") + "\n"
        XCTAssertEqual(try json(run("dlq", "import", "orders", "--json", stdin: lines))["imported"] as? Int, 40)

        let again = run("dlq", "import", "orders", stdin: lines)
        XCTAssertEqual(again.code, 1)
        let named = again.stderr.split(separator: "\n").filter { $0.contains("already exists in 'orders'") }
        XCTAssertEqual(named.count, 5, again.stderr)
        XCTAssertTrue(named.first?.contains("message 'm0'") == true, again.stderr)
        XCTAssertTrue(again.stderr.contains("35 more ids already exist in 'orders' and were not imported (40 in all; --json lists them)"), again.stderr)
        XCTAssertLessThanOrEqual(again.stderr.split(separator: "\n").count, 8, again.stderr)

        let listed = run("dlq", "import", "orders", "--json", stdin: lines)
        XCTAssertEqual(listed.code, 1)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any], listed.stdout)
        XCTAssertEqual(record["exists"] as? Int, 40)
        XCTAssertEqual(record["existing_ids"] as? [String], (0..<40).map { "m\($0)" })
    }

    func testEnqueueOfIdsInUseFollowsTheSameRule() throws {
        let lines = (0..<8).map { #"{"id": "e\#($0)", "payload": "p"}"# }.joined(separator: "\n")
        XCTAssertEqual(run("enqueue", "orders", "--stdin", "--ndjson", stdin: lines).code, 0)
        let again = run("enqueue", "orders", "--stdin", "--ndjson", stdin: lines)
        XCTAssertEqual(again.code, 1)
        XCTAssertEqual(again.stderr.split(separator: "\n").filter { $0.contains("already exists in 'orders'; not enqueued") }.count, 5, again.stderr)
        XCTAssertTrue(again.stderr.contains("3 more ids already exist in 'orders' and were not enqueued"), again.stderr)
    }
}

/// The history keeps each line trimmed, and once when typed again at once.
final class LineEditorHistoryTests: XCTestCase {
    func testLinesAreTrimmedAndNotRepeated() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-history-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let editor = LineEditor(program: "mqctl-test", historyPath: path) { _ in [] }
            for line in ["use orders ", "use orders", "  use orders\t", "stats", "stats ", "use orders", "  "] {
                editor.remember(line)
            }
            editor.save()
        }
        // A second session does not repeat the last line of the first.
        do {
            let editor = LineEditor(program: "mqctl-test", historyPath: path) { _ in [] }
            editor.remember("use orders  ")
            editor.remember("ping")
            editor.save()
        }
        let entries = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
        // libedit writes spaces vis(3)-encoded: "use\040orders".
        XCTAssertEqual(entries.map { $0.replacingOccurrences(of: "\\040", with: " ") }, ["use orders", "stats", "use orders", "ping"])
    }
}

/// `exit` and Ctrl-D end the shell at once, whatever came before, at the
/// prompt or typed ahead while a command runs: the sequence of issue 23,
/// typed through a pseudo-terminal 50 times, five sessions at a time
/// (Scripts/lib/shell_exit.py).
final class ShellExitTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testEveryRunLeavesWithinASecondOfExitOrCtrlD() throws {
        guard let python = RedisServer.findExecutable("python3") else {
            return XCTFail("python3 drives the pseudo-terminal and is missing: run Scripts/bootstrap")
        }
        let server = try RedisServer(.init(password: "s3cret"))
        let redis = try RedisConnection(configuration: server.configuration())
        try redis.send("SADD", "mq:queues", "invoices")
        try redis.send("RPUSH", "mq:{invoices}:ready:normal", "a", "b")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-exit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl").path

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.root.appendingPathComponent("Scripts/lib/shell_exit.py").path, binary,
                             "redis://:s3cret@127.0.0.1:\(server.port)/0", "s3cret", "50", "--parallel", "5", "--home", home.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let report = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, report)
        XCTAssertTrue(report.contains("50 of 50 runs left within 1 s of exit or Ctrl-D"), report)
        for (way, runs) in [("exit", 13), ("Ctrl-D", 13), ("exit typed ahead", 12), ("Ctrl-D typed ahead", 12)] {
            XCTAssertEqual(report.components(separatedBy: ": \(way): left in").count - 1, runs, way)
        }
        // The sessions ran their commands: the history holds them, not the password.
        let history = try String(contentsOf: home.appendingPathComponent("state/mqctl/history"), encoding: .utf8)
        XCTAssertTrue(history.contains("peek\\040invoices"), history)
        XCTAssertFalse(history.contains("s3cret"), history)
    }
}
