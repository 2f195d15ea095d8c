@testable import MQCommands
import Foundation
import MQCore
import MQFormat
import MQTestSupport
import XCTest

/// `mqctl top` in a real terminal: the built binary runs in a tmux pane
/// against the test's redis-server; keys go in with send-keys and the
/// screen comes back with capture-pane.
final class TopTerminalTests: CommandTestCase {
    /// A tmux server of this test's own, killed at the end.
    private var socket = ""
    private var folder = URL(fileURLWithPath: "/")

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            throw FixtureError("tmux is missing: run Scripts/bootstrap (or apt-get install tmux)")
        }
        socket = "mqctl-top-\(getpid())-\(UUID().uuidString.prefix(8))"
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(socket)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        _ = try? tmux(["kill-server"])
        try? FileManager.default.removeItem(at: folder)
        try super.tearDownWithError()
    }

    /// Runs tmux by posix_spawn with no descriptor but the three: the server
    /// `new-session` forks would keep any other open (Foundation's Process
    /// then waits on it for good), and its output goes to /dev/null.
    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let quoted = (["tmux", "-L", socket] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }
        let command = quoted.joined(separator: " ") + (arguments.first == "new-session" ? " >/dev/null 2>&1" : " 2>&1")
        let result = try ShellCommand.output(of: command, environment: ProcessInfo.processInfo.environment)
        return String(decoding: result.output, as: UTF8.self)
    }

    /// Starts `top` at 80×24 in a shell that records the terminal's
    /// settings before and after it, and its exit status.
    private func start(_ options: [String] = [], environment extra: String = "TERM=xterm-256color") throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw FixtureError("\(binary) is missing: run Scripts/test, which builds it") }
        let dir = folder.path
        // Only the variables given (no NO_COLOR or config file of the machine's): HOME is the test's folder.
        let script = "stty -g > \(dir)/before; env -i PATH=/usr/bin:/bin HOME=\(dir) MQCTL_URL=\(server.url) \(extra) \(binary) top --interval 300ms \(options.joined(separator: " ")); "
            + "echo $? > \(dir)/status; stty -g > \(dir)/after; sleep 60"
        try tmux(["new-session", "-d", "-x", "80", "-y", "24", "-s", "top", "sh", "-c", script])
    }

    private func screen(escapes: Bool = false) throws -> String {
        try tmux(["capture-pane", "-p", "-t", "top"] + (escapes ? ["-e"] : []))
    }

    /// The screen once `until` holds for it, failing after 10 s with what it showed.
    @discardableResult
    private func wait(_ what: String, escapes: Bool = false, file: StaticString = #filePath, line: UInt = #line,
                      until: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(10)
        var shown = ""
        while Date() < deadline {
            shown = try screen(escapes: escapes)
            if until(shown) { return shown }
            usleep(100_000)
        }
        XCTFail("\(what); the screen:\n\(shown)", file: file, line: line)
        return shown
    }

    private func keys(_ keys: String...) throws { try tmux(["send-keys", "-t", "top"] + keys) }

    private func seed() throws {
        for queue in ["orders", "orders", "mail"] { XCTAssertEqual(run("enqueue", queue, #"{"n":1}"#, "-q").code, 0) }
        let dead = (1...3).map { #"{"id":"01M8Y0AQ4560Y2JPNC2RGME4\#($0)0","payload":"{\"n\":\#($0)}","last_error":"timeout \#($0)","attempts":3}"# }
        let imported = run(["dlq", "import", "orders", "-q"], stdin: dead.joined(separator: "\n") + "\n")
        XCTAssertEqual(imported.code, 0, imported.stderr)
    }

    func testTheOverviewShowsEachQueueAndAReplayFromTheDeadTabMovesThemWithAnAuditEntry() throws {
        try seed()
        try start()
        let overview = try wait("the overview with both queues") { $0.contains("orders") && $0.contains("mail") && $0.contains("memory") }
        XCTAssertNotNil(overview.range(of: #"(?m)^orders +native +OK +2 +0 +0 +3 +0 "#, options: .regularExpression), overview)
        XCTAssertNotNil(overview.range(of: #"(?m)^mail +native +OK +1 +0 +0 +0 +0 "#, options: .regularExpression), overview)
        XCTAssertTrue(overview.contains("2 queues"), overview)

        try keys("j", "Enter")
        try wait("the orders queue") { $0.contains("› orders (native)") && $0.contains("ENQUEUED") }
        try keys("4")
        let dead = try wait("three dead letters") { $0.contains("LAST ERROR") && $0.contains("timeout 3") && $0.contains("timeout 1") }
        XCTAssertTrue(dead.contains(#""n": "#) || dead.contains("payload:"), "the selected one's payload: \(dead)")
        try keys("R")
        try wait("the question with the dry run's count") { $0.contains("Replay 3 dead letters of 'orders'? [y/N]") }
        try keys("y")
        try wait("the command's report") { $0.contains("mqctl dlq replay orders --all: moved 3") }

        let stats = try json(run("stats", "orders", "-o", "json"))
        let row = try XCTUnwrap((stats["queues"] as? [[String: Any]])?.first)
        XCTAssertEqual(row["dead"] as? Int, 0)
        XCTAssertEqual(row["ready"] as? Int, 5)
        let entry = try redis("XREVRANGE", "mq:audit", "+", "-", "COUNT", 1).array()[0].array()[1].array().map { try $0.string() }
        XCTAssertEqual(entry[entry.firstIndex(of: "command")! + 1], "dlq replay")
        XCTAssertEqual(entry[entry.firstIndex(of: "moved")! + 1], "3")

        // A question answered no changes nothing.
        try keys("1")
        try wait("the ready tab") { $0.contains("ENQUEUED") && $0.contains("PAYLOAD") }
        try keys("p")
        try wait("the pause question") { $0.contains("Pause queue 'orders'? [y/N]") }
        try keys("n")
        try wait("not done") { $0.contains("not done: Pause queue 'orders'") }
        XCTAssertNotEqual(try? redis("HGET", "mq:{orders}:config", "paused").string(), "1", "not paused")
    }

    func testAResizeRedrawsCtrlCRestoresTheTerminalAndColoursFollowTheTerminal() throws {
        try seed()
        try start()
        let small = try wait("the footer on line 24") { $0.split(separator: "\n", omittingEmptySubsequences: false).count >= 24 && $0.contains("q quit") }
        XCTAssertTrue(small.split(separator: "\n").allSatisfy { $0.count <= 80 }, small)
        let colours = try screen(escapes: true)
        XCTAssertTrue(colours.contains("38;5;"), "256 colours for xterm-256color: \(colours.debugDescription)")

        try tmux(["resize-window", "-t", "top", "-x", "110", "-y", "30"])
        let large = try wait("the frame redrawn at 110×30") { screen in
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.count >= 30 && lines[29].contains("q quit") && lines[0].count > 80
        }
        XCTAssertTrue(large.contains("TREND"), "the sparkline column has room: \(large)")

        try keys("C-c")
        let statusPath = folder.appendingPathComponent("status").path
        let deadline = Date().addingTimeInterval(10)
        // The shell writes the status, then the settings after it.
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("after").path) && Date() < deadline { usleep(100_000) }
        usleep(200_000)
        XCTAssertEqual(try String(contentsOfFile: statusPath, encoding: .utf8), "0\n")
        XCTAssertEqual(try String(contentsOfFile: folder.appendingPathComponent("before").path, encoding: .utf8),
                       try String(contentsOfFile: folder.appendingPathComponent("after").path, encoding: .utf8),
                       "stty settings as they were")
        XCTAssertFalse(try screen().contains("mqctl top"), "the alternate screen is left")
    }

    func testNoColorAndSixteenColours() throws {
        try seed()
        try start(environment: "TERM=xterm NO_COLOR=1")
        let plain = try wait("the overview", escapes: true) { $0.contains("orders") && $0.contains("q quit") }
        XCTAssertNil(plain.range(of: #"\[(3[0-7]|38;5;)[0-9;]*m"#, options: .regularExpression), "no colour with NO_COLOR: \(plain.debugDescription)")
        try keys("q")
        try wait("top gone") { !$0.contains("mqctl top") }
        try tmux(["kill-server"])

        try start(environment: "TERM=xterm")
        let sixteen = try wait("the overview", escapes: true) { $0.contains("orders") && $0.contains("q quit") }
        XCTAssertTrue(sixteen.contains("\u{1B}[32m"), "the 16-colour green of OK: \(sixteen.debugDescription)")
        XCTAssertFalse(sixteen.contains("38;5;"), sixteen.debugDescription)
    }

    func testWithoutATerminalTopSaysWhatToUseInstead() {
        let result = run("top")
        XCTAssertEqual(result.code, 64)
        XCTAssertEqual(result.stderr, "mqctl: error: top draws on a terminal; in a pipe or a log use `mqctl stats --watch` or `mqctl stats -o json`\n")
    }
}

/// The number of commands a refresh sends depends on the rows on screen,
/// not on the number of queues or messages.
final class TopRefreshCostTests: CommandTestCase {
    func commands(queues: Int, messagesEach: Int) throws -> Int {
        try server.flushAll()
        let names = (0..<queues).map { String(format: "q%04d", $0) }
        let payloads = String(repeating: "m\n", count: messagesEach)
        for name in names { XCTAssertEqual(run(["enqueue", name, "--stdin", "-q"], stdin: payloads).code, 0) }
        let globals = try GlobalOptions.parse(["--url", server.url])
        let context = try CommandContext(globals: globals, environment: [:], stdin: .memory(""), stdout: .memory(), stderr: .memory())
        defer { context.close() }
        var overview = TopOverview(refs: try context.queues([]))
        XCTAssertEqual(overview.refs.count, queues)
        let broker = try context.broker()
        overview.refresh(broker: broker, rows: 15, now: 1)
        overview.refresh(broker: broker, rows: 15, now: 2)
        XCTAssertNil(overview.failure)
        XCTAssertEqual(overview.rates(overview.refs[0]) { $0.processed }.count, 1, "a rate from two samples")
        return overview.commands
    }

    func testARefreshCostsTheSameForTwentyQueuesOrTwoHundredOfAThousandMessages() throws {
        let twenty = try commands(queues: 20, messagesEach: 1)
        let many = try commands(queues: 200, messagesEach: 1000)
        XCTAssertEqual(twenty, many)
        XCTAssertLessThanOrEqual(many, 15 * 19 + 2, "stats of the 15 rows shown, INFO and the workers' count")
    }
}
