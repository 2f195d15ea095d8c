import Foundation
import MQRedis
import MQTestSupport
import XCTest
@testable import MQCommands

/// What the built binary showed on a pseudo-terminal.
struct TerminalTranscript {
    /// Everything the terminal showed (stdin echoed, stdout and stderr
    /// unless sent to files), with the terminal's "\r\n" line ends.
    var text: String
    /// Stdout or stderr when sent to a file instead of the terminal.
    var stdout: String?
    var stderr: String?
    var code: Int32
    /// Markers waited for that never came.
    var missed: [String]
}

/// One step of a terminal session: wait until the terminal shows text
/// (after what earlier waits matched), type, or keep reading a while.
enum TerminalStep {
    case wait(String)
    case type(String)
    case pause(Double)

    var json: [Any] {
        switch self {
        case .wait(let text): ["wait", text]
        case .type(let text): ["send", text]
        case .pause(let seconds): ["sleep", seconds]
        }
    }
}

/// Runs the built `mqctl` with stdin, stdout and stderr on a pseudo-terminal
/// (python3's pty module drives it), 100 columns wide; stdout or stderr may
/// go to files and stdin come from one instead.
func onTerminal(_ arguments: [String], environment: [String: String], steps: [TerminalStep] = [],
                stdoutToFile: Bool = false, stderrToFile: Bool = false, stdinFile: String? = nil) throws -> TerminalTranscript {
    guard let python = RedisServer.findExecutable("python3") else {
        throw FixtureError("python3 drives the pseudo-terminal and is missing: run Scripts/bootstrap")
    }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl").path
    guard FileManager.default.isExecutableFile(atPath: binary) else { throw FixtureError("\(binary) is missing: build it first") }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-tty-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let stdoutFile = folder.appendingPathComponent("stdout").path
    let stderrFile = folder.appendingPathComponent("stderr").path
    let spec: [String: Any] = [
        "binary": binary, "args": arguments, "env": environment.merging(["TERM": "dumb", "PATH": "/usr/bin:/bin"]) { old, _ in old },
        "steps": steps.map(\.json), "stdout_file": stdoutToFile ? stdoutFile : "", "stderr_file": stderrToFile ? stderrFile : "",
        "stdin_file": stdinFile ?? "", "columns": 100,
    ]
    let driver = folder.appendingPathComponent("drive.py")
    try #"""
        import fcntl, json, os, pty, select, struct, sys, termios, time
        spec = json.loads(sys.argv[1])
        pid, fd = pty.fork()
        if pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, spec["columns"], 0, 0))
            for name, number, flags in (("stdin_file", 0, os.O_RDONLY),
                                        ("stdout_file", 1, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                        ("stderr_file", 2, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
                if spec[name]:
                    f = os.open(spec[name], flags, 0o644)
                    os.dup2(f, number)
                    os.close(f)
            os.execve(spec["binary"], [spec["binary"]] + spec["args"], spec["env"])
        out, seen, missed, ended = b"", 0, [], False
        def pump(marker, timeout):
            global out, seen, ended
            end = time.time() + timeout
            while time.time() < end:
                if marker is not None:
                    at = out.find(marker, seen)
                    if at >= 0:
                        seen = at + len(marker)
                        return True
                if ended:
                    break
                r, _, _ = select.select([fd], [], [], 0.05)
                if r:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        ended = True
                    out += chunk
            return marker is None
        for kind, value in spec["steps"]:
            if kind == "wait":
                if not pump(value.encode(), 30):
                    missed.append(value)
            elif kind == "send":
                os.write(fd, value.encode())
            else:
                pump(None, value)
        pump(None, 120)
        _, status = os.waitpid(pid, 0)
        json.dump({"text": out.decode("utf-8", "replace"), "code": os.waitstatus_to_exitcode(status), "missed": missed}, sys.stdout)
        """#.write(to: driver, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [driver.path, String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.standardError
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard let result = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw FixtureError("the terminal driver failed: \(String(decoding: data, as: UTF8.self))")
    }
    let read = { (path: String, wanted: Bool) in wanted ? (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" : nil }
    return TerminalTranscript(text: result["text"] as? String ?? "", stdout: read(stdoutFile, stdoutToFile),
                              stderr: read(stderrFile, stderrToFile), code: Int32(result["code"] as? Int ?? -1),
                              missed: result["missed"] as? [String] ?? [])
}

/// Issue 18, points 12 and 13: questions that name the count, progress on
/// a terminal only, the partial summary on Ctrl-C, dry runs that say
/// "would", `queues create` that does not rewrite a queue.
final class PromptAndProgressTests: CommandTestCase {
    private func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }

    // MARK: - Questions name the count

    func testPurgeQuestionNamesTheCountOfTheLimitAndTheFilter() throws {
        _ = try seedDead(connect(), count: 300, error: { $0 % 4 == 0 ? "timeout" : "bad input" })
        let declined = try onTerminal(["dlq", "purge", "orders", "--all", "--limit", "150"], environment: environment,
                                      steps: [.wait("[y/N] "), .type("n\r")])
        XCTAssertEqual(declined.missed, [], declined.text)
        XCTAssertTrue(declined.text.contains("Delete 150 of 300 dead letters of 'orders'? [y/N] "), declined.text)
        XCTAssertTrue(declined.text.contains("cancelled; nothing was changed"), declined.text)
        XCTAssertEqual(declined.code, 1)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 300, "no means nothing deleted")

        let filtered = try onTerminal(["dlq", "purge", "orders", "--error", "timeout", "--json"], environment: environment,
                                      steps: [.wait("[y/N] "), .type("y\r")], stdoutToFile: true)
        XCTAssertTrue(filtered.text.contains("Delete 75 of 300 dead letters of 'orders'? [y/N] "), filtered.text)
        XCTAssertEqual(filtered.code, 0, filtered.text)
        XCTAssertTrue(filtered.stdout?.contains(#""deleted":75"#) == true, filtered.stdout ?? "")
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 225)

        let all = try onTerminal(["dlq", "purge", "orders", "--all"], environment: environment, steps: [.wait("[y/N] "), .type("n\r")])
        XCTAssertTrue(all.text.contains("Delete all 225 dead letters of 'orders'? [y/N] "), all.text)

        // Without a terminal the question is the refusal, still with its count.
        let refused = run("dlq", "purge", "orders", "--all", "--limit", "10")
        XCTAssertEqual(refused.code, 64)
        XCTAssertTrue(refused.stderr.contains("Delete 10 of 225 dead letters of 'orders'? Refusing without --yes"), refused.stderr)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 225)
    }

    func testDelayedCancelAsksOnATerminalAndNeedsYesElsewhere() throws {
        for id in ["d1", "d2", "d3"] { XCTAssertEqual(run("enqueue", "orders", "p", "--id", id, "--delay", "1h").code, 0) }

        let refused = run("delayed", "cancel", "orders", "d1", "d2")
        XCTAssertEqual(refused.code, 64)
        XCTAssertTrue(refused.stderr.contains("Delete 2 delayed messages of 'orders'? Refusing without --yes"), refused.stderr)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:delayed").int(), 3, "refused: nothing deleted")

        let declined = try onTerminal(["delayed", "cancel", "orders", "d1", "d2", "ghost"], environment: environment,
                                      steps: [.wait("[y/N] "), .type("n\r")])
        XCTAssertTrue(declined.text.contains("Delete 2 delayed messages of 'orders'? [y/N] "), "only the delayed ones count: \(declined.text)")
        XCTAssertEqual(declined.code, 1)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:delayed").int(), 3)

        let accepted = try onTerminal(["delayed", "cancel", "orders", "d1"], environment: environment, steps: [.wait("[y/N] "), .type("y\r")])
        XCTAssertTrue(accepted.text.contains("Delete 1 delayed message of 'orders'? [y/N] "), accepted.text)
        XCTAssertEqual(accepted.code, 0, accepted.text)
        XCTAssertEqual(try redis("EXISTS", "mq:{orders}:msg:d1").int(), 0)

        let yes = try json(run("delayed", "cancel", "orders", "d2", "--yes", "--json"))
        XCTAssertEqual(yes["deleted"] as? Int, 1)
        XCTAssertEqual(try redis("ZRANGE", "mq:{orders}:delayed", 0, -1), .array([.bulk(Array("d3".utf8))]))
    }

    func testReplayAsksAboveOneThousandOnATerminalOnly() throws {
        _ = try seedDead(connect(), count: 1_001)
        let declined = try onTerminal(["dlq", "replay", "orders", "--all"], environment: environment, steps: [.wait("[y/N] "), .type("n\r")])
        XCTAssertTrue(declined.text.contains("Replay all 1,001 dead letters of 'orders' to their ready tiers? [y/N] "), declined.text)
        XCTAssertEqual(declined.code, 1)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 1_001)

        let atThreshold = try onTerminal(["dlq", "replay", "orders", "--all", "--limit", "1000", "--json"], environment: environment,
                                         stdoutToFile: true)
        XCTAssertFalse(atThreshold.text.contains("[y/N]"), "1,000 is not above the threshold: \(atThreshold.text)")
        XCTAssertEqual(atThreshold.code, 0, atThreshold.text)
        XCTAssertTrue(atThreshold.stdout?.contains(#""moved":1000"#) == true, atThreshold.stdout ?? "")

        _ = try seedDead(connect(), queue: "big", count: 1_500)
        let cron = run("dlq", "replay", "big", "--all", "--json")
        XCTAssertEqual(try json(cron)["moved"] as? Int, 1_500, "no terminal, no question: cron lines need no --yes")
    }

    func testQueuesCreateRefusesAQueueThatExists() throws {
        XCTAssertEqual(run("queues", "create", "orders", "--max-length", "100").code, 0)
        let again = run("queues", "create", "orders", "--max-length", "5", "--dead-max-age", "7d")
        XCTAssertEqual(again.code, 1)
        XCTAssertTrue(again.stderr.contains("mqctl: error: queue 'orders' already exists; its settings were not changed\n"), again.stderr)
        XCTAssertTrue(again.stderr.contains("hint: change them with `mqctl queues config orders --max-length 5 --dead-max-age 7d`"), again.stderr)
        XCTAssertEqual(try redis("HGET", "mq:{orders}:config", "max_length").string(), "100", "settings untouched")
        XCTAssertEqual(run("queues", "create", "orders").code, 1, "even with no settings")
        XCTAssertEqual(run("queues", "config", "orders", "--max-length", "5").code, 0)
        XCTAssertEqual(try redis("HGET", "mq:{orders}:config", "max_length").string(), "5")

        XCTAssertEqual(run("enqueue", "orders", "a").code, 0)
        let delete = run("queues", "delete", "orders", "--force")
        XCTAssertEqual(delete.code, 64)
        XCTAssertTrue(delete.stderr.contains("Delete queue 'orders' and its 1 message? Refusing without --yes"), delete.stderr)
    }

    // MARK: - Dry runs say "would"

    func testEveryDryRunSaysWouldAndChangesNothing() throws {
        _ = try seedDead(connect(), count: 5)
        for index in 0..<3 {
            XCTAssertEqual(run("enqueue", "orders", "p", "--id", "w\(index)", "--delay", "1h").code, 0)
        }
        _ = try redis("ZREM", "mq:{orders}:delayed", "w2")
        _ = try redis("HSET", "mq:{orders}:msg:w2", "state", "retry")
        _ = try redis("ZADD", "mq:{orders}:retry", 1_000, "w2")
        let cases: [([String], String, Int)] = [
            (["dlq", "replay", "orders", "--all"], "would_move", 5),
            (["dlq", "replay", "orders", "d000001", "ghost"], "would_move", 1),
            (["dlq", "purge", "orders", "--older-than", "1s"], "would_delete", 5),
            (["delayed", "cancel", "orders", "w0", "w1", "w2"], "would_delete", 2),
            (["delayed", "run-now", "orders", "w0"], "would_move", 1),
            (["retry", "run-now", "orders", "--all"], "would_move", 1),
            (["retry", "kill", "orders", "w2", "w0"], "would_move", 1),
        ]
        for (command, field, count) in cases {
            let dry = try json(run(command + ["--dry-run", "--json"]))
            XCTAssertEqual(dry[field] as? Int, count, "\(command): \(dry)")
            XCTAssertEqual(dry["dry_run"] as? Bool, true, "\(command)")
            for done in ["moved", "deleted", "matched"] { XCTAssertNil(dry[done], "\(command) says \(done) in a dry run: \(dry)") }
            let table = run(command + ["--dry-run"])
            XCTAssertEqual(table.code, 0, table.stderr)
            XCTAssertTrue(table.stdout.contains(field), table.stdout)
            XCTAssertFalse(matches(table.stdout, #"(?m)^(moved|deleted|matched) "#), "\(command): \(table.stdout)")
        }
        let notFound = try json(run("delayed", "cancel", "orders", "w0", "w2", "--dry-run", "--json"))
        XCTAssertEqual(notFound["not_found"] as? [String], ["w2"], "w2 waits for a retry, not delayed")
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:dead").int(), 5)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:delayed").int(), 2)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:retry").int(), 1)
    }

    // MARK: - Progress

    func testProgressLineAndItsEstimates() {
        XCTAssertEqual(Progress.text(label: "replayed", done: 11_500, total: 150_000, rate: 2_300, eta: 60.2),
                       "replayed 11,500/150,000  7%  2,300/s  ETA 1m1s")
        XCTAssertEqual(Progress.text(label: "deleted", done: 0, total: 10, rate: nil, eta: nil), "deleted 0/10  0%")
        XCTAssertEqual(Progress.text(label: "exported", done: 1_200, total: nil, rate: 600, eta: nil), "exported 1,200  600/s")
        XCTAssertEqual(Progress.text(label: "enqueued", done: 12_000, total: nil, inputFraction: 0.45, rate: 8_000, eta: 1.8),
                       "enqueued 12,000  45% of input  8,000/s  ETA 2s")
        XCTAssertEqual(Progress.eta(7_325), "2h2m")
        XCTAssertEqual(Progress.eta(0.2), "1s")

        // Measured from the first update: 100 done at once, then 400 in 1 s at --rate 400.
        let mark = Progress.Mark(time: 0, done: 100, fraction: 0.1)
        let (rate, eta) = Progress.estimate(done: 500, fraction: 0.5, since: mark, elapsed: 1)
        XCTAssertEqual(rate, 400)
        XCTAssertEqual(eta, 1.25, "half left, at 0.4 of the work a second")
        XCTAssertNil(Progress.estimate(done: 100, fraction: 0.1, since: mark, elapsed: 1).rate, "nothing since the mark")
        XCTAssertNil(Progress.estimate(done: 1_000, fraction: 1, since: mark, elapsed: 2).eta, "no ETA when done")
    }

    /// On a terminal: done/total, percentage, rate and ETA; Ctrl-C stops
    /// between batches with the partial summary and exit 130.
    func testProgressOnATerminalAndCtrlCSaysWhatWasDone() throws {
        _ = try seedDead(connect(), count: 3_000)
        let session = try onTerminal(["dlq", "replay", "orders", "--all", "--batch", "100", "--rate", "400", "--yes"], environment: environment,
                                     steps: [.wait("/3,000"), .wait("ETA "), .pause(0.3), .type("\u{03}")])
        XCTAssertEqual(session.missed, [], session.text)
        XCTAssertTrue(matches(session.text, #"\r\x{1B}\[Kreplayed [0-9,]+/3,000  [0-9]+%  [0-9,]+/s  ETA [0-9]+s"#), session.text)
        XCTAssertEqual(session.code, 130, session.text)
        let moved = Int(try redis("LLEN", "mq:{orders}:ready:normal").int())
        XCTAssertGreaterThan(moved, 0)
        XCTAssertLessThan(moved, 3_000, "cut short")
        let summary = "mqctl: moved \(BulkFigures.grouped(moved)) of 3,000; \(BulkFigures.grouped(3_000 - moved)) left; re-run to continue"
        XCTAssertTrue(session.text.contains("\r\u{1B}[K" + summary), "the progress line is wiped, then the summary: \(session.text)")
        XCTAssertTrue(session.text.contains("interrupted by SIGINT"), session.text)
        XCTAssertEqual(Int(try redis("ZCARD", "mq:{orders}:dead").int()), 3_000 - moved, "nothing lost, nothing doubled")
    }

    /// Stderr in a file (a cron log, `2>` a pipe): no progress at all, and
    /// none with --quiet on a terminal; the summary is the same.
    func testProgressNeverGoesIntoAFileOrWithQuiet() throws {
        _ = try seedDead(connect(), count: 600)
        let logged = try onTerminal(["dlq", "replay", "orders", "--all", "--batch", "100", "--rate", "1000"], environment: environment,
                                    stderrToFile: true)
        XCTAssertEqual(logged.code, 0, logged.stderr ?? "")
        XCTAssertEqual(logged.stderr, "", "nothing but errors in a log")
        XCTAssertTrue(logged.text.contains("moved      600"), logged.text)

        _ = try seedDead(connect(), queue: "other", count: 600)
        let quiet = try onTerminal(["dlq", "replay", "other", "--all", "--batch", "100", "--rate", "1000", "-q"], environment: environment)
        XCTAssertEqual(quiet.code, 0, quiet.text)
        XCTAssertFalse(quiet.text.contains("replayed"), quiet.text)
        XCTAssertFalse(quiet.text.contains("\u{1B}"), quiet.text)
    }

    /// Input from a regular file has a size: the share read gives the
    /// percentage and ETA of `enqueue --stdin` and `dlq import`.
    func testInputFromAFileShowsTheShareRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-input-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = folder.appendingPathComponent("lines").path
        // Enough lines to take longer than one redraw (200 ms).
        try ((0..<300_000).map { "message \($0)" }.joined(separator: "\n") + "\n").write(toFile: lines, atomically: true, encoding: .utf8)
        let enqueued = try onTerminal(["enqueue", "orders", "--stdin", "--json"], environment: environment, stdoutToFile: true, stdinFile: lines)
        XCTAssertEqual(enqueued.code, 0, enqueued.text)
        XCTAssertTrue(matches(enqueued.text, #"\x{1B}\[Kenqueued [1-9][0-9,]*  [1-9][0-9]?% of input"#), enqueued.text)
        XCTAssertTrue(enqueued.stdout?.contains(#""enqueued":300000"#) == true, enqueued.stdout ?? "")

        _ = try seedDead(connect(), queue: "source", count: 1_200)
        let export = folder.appendingPathComponent("dead.jsonl").path
        try run("dlq", "export", "source").stdout.write(toFile: export, atomically: true, encoding: .utf8)
        let imported = try onTerminal(["dlq", "import", "copy"], environment: environment, stdinFile: export)
        XCTAssertEqual(imported.code, 0, imported.text)
        XCTAssertTrue(matches(imported.text, #"\x{1B}\[Kimported 500  [0-9]+% of input"#), imported.text)
        XCTAssertEqual(try redis("ZCARD", "mq:{copy}:dead").int(), 1_200)
    }
}
