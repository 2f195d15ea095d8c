@testable import MQCommands
import Foundation
import MQTestSupport
import XCTest

/// The REPL in script mode (stdin not a terminal), in process.
final class ReplScriptTests: CommandTestCase {
    func testScriptModeRunsLinesSkipsCommentsAndUsesTheDefaultQueue() throws {
        let script = """
            # set up
            enqueue orders 'hello world'

            use orders
            peek --json
            queues pause orders
            """
        let result = run("repl", stdin: script)
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\"payload\":\"hello world\""), result.stdout)
        XCTAssertEqual(try redis("HGET", "mq:{orders}:config", "paused").string(), "1", "`use` gave pause its queue")
    }

    /// `use Q` fills in the queue of every command that takes one.
    func testUseAppliesToEveryCommandThatTakesAQueue() throws {
        let result = run("repl", stdin: """
            queues create orders
            use orders
            enqueue hello --id m1 -q
            show m1 --json
            dlq replay --all --dry-run --json
            retry run-now --all --dry-run --json
            """)
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains(#""id":"m1""#) && result.stdout.contains(#""payload":"hello""#), result.stdout)
        XCTAssertEqual(result.stdout.components(separatedBy: #""would_move":0"#).count - 1, 2, "both dry runs ran on orders: \(result.stdout)")
    }

    /// Unknown commands are named with the nearest real one, in the shell
    /// and outside it; a pasted leading `mqctl` is ignored.
    func testUnknownCommandsAreNamedWithASuggestion() throws {
        let shell = run("repl", stdin: "frobnicate\ndlq lst x\nmqctl ping -q\n")
        XCTAssertTrue(shell.stderr.contains("unknown command 'mqctl frobnicate'"), shell.stderr)
        XCTAssertTrue(shell.stderr.contains("unknown command 'mqctl dlq lst'\nhint: did you mean 'mqctl dlq list'?"), shell.stderr)
        XCTAssertFalse(shell.stderr.contains("--timeout"), "the shell's options are not blamed: \(shell.stderr)")
        XCTAssertFalse(shell.stderr.contains("'mqctl mqctl"), shell.stderr)
        for (arguments, hint) in [(["stat"], "did you mean 'mqctl stats'?"), (["help", "nosuch"], "the commands are ping"),
                                  (["queues", "lsit"], "did you mean 'mqctl queues list'?")] {
            let result = run(arguments)
            XCTAssertEqual(result.code, 64, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains("hint: \(hint)"), result.stderr)
        }
        XCTAssertEqual(run("help", "stats").code, 0)
        // An option's typo gets the nearest option, outside the shell and in it.
        let option = run("stats", "--jsn")
        XCTAssertEqual(option.code, 64)
        XCTAssertTrue(option.stderr.contains("Unknown option '--jsn'. Did you mean '--json'?"), option.stderr)
        let inShell = run("repl", stdin: "dlq replay orders --all --dry-rn\n")
        XCTAssertTrue(inShell.stderr.contains("Did you mean '--dry-run'?"), inShell.stderr)
    }

    func testWorkInTheShellGetsTheShellsOptionsAndItsHandlerNone() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-repl-work-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let seen = folder.appendingPathComponent("args").path
        let result = mqctl(["--prefix", "other", "repl"], environment: environment, stdin: Array("""
            enqueue orders hello
            work orders --burst -- /bin/sh -c 'echo "$# $*" >> \(seen)' handler a b
            exit

            """.utf8))
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(try String(contentsOfFile: seen, encoding: .utf8), "2 a b\n", "no shell option reached the handler")
        XCTAssertEqual(try redis("GET", "other:{orders}:count:processed").optionalString(), "1", "the worker used the shell's prefix")
    }

    func testFailuresAndFailFast() {
        let lines = "show orders nope\nenqueue orders 'open\nenqueue orders ok\n"
        let keepsGoing = run("repl", stdin: lines)
        XCTAssertEqual(keepsGoing.code, 64, "the last failure's code: the unbalanced quote")
        XCTAssertTrue(keepsGoing.stderr.contains("unbalanced single quote"), keepsGoing.stderr)
        XCTAssertTrue(keepsGoing.stderr.contains("mqctl: line 1 of the script failed (exit 1)"), keepsGoing.stderr)
        XCTAssertTrue(keepsGoing.stderr.contains("mqctl: line 2 of the script failed (exit 64)"), keepsGoing.stderr)
        XCTAssertTrue(run("repl", stdin: "help\n").stdout.contains("SHELL BUILT-INS:\n  use QUEUE"))
        XCTAssertEqual(keepsGoing.stdout.split(separator: "\n").count, 1, "the third line still ran")
        let stops = run("repl", "--fail-fast", stdin: lines)
        XCTAssertEqual(stops.code, 1)
        XCTAssertEqual(stops.stdout, "")
        XCTAssertEqual(run("repl", stdin: "ping -q\nexit\nshow orders nope\n").code, 0, "exit ends the script")
    }
}

/// The interactive REPL through a pseudo-terminal: completion, Ctrl-C,
/// history, one connection.
final class ReplTerminalTests: RedisTestCase {
    func testInteractiveSession() throws {
        guard let python = RedisServer.findExecutable("python3") else {
            return XCTFail("python3 drives the pseudo-terminal and is missing: run Scripts/bootstrap")
        }
        let redis = try connect()
        try redis.send("SADD", "mq:queues", "orders")
        try redis.send("RPUSH", "mq:{orders}:ready:normal", "x")
        try redis.send("XADD", "events:orders", "*", "a", "1")
        try redis.send("XGROUP", "CREATE", "events:orders", "mailer", "0")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-repl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl").path
        let driver = home.appendingPathComponent("drive.py")
        try """
            import os, pty, select, subprocess, sys, time
            binary, url, home = sys.argv[1:4]
            def mqctl_clients():
                listing = subprocess.run(["redis-cli", "-u", url, "CLIENT", "LIST"], capture_output=True, text=True).stdout
                return listing.count("name=mqctl ")
            before = mqctl_clients()
            pid, fd = pty.fork()
            if pid == 0:
                # `mqctl -u URL` with no command opens the shell; MQCTL_URL is not used.
                os.environ.update({"MQCTL_URL": "redis://127.0.0.1:1/0", "HOME": home, "XDG_STATE_HOME": home + "/state", "TERM": "dumb"})
                os.execv(binary, [binary, "-u", url])
            out = b""
            def read_until(marker, timeout=10):
                global out
                end = time.time() + timeout
                while time.time() < end:
                    r, _, _ = select.select([fd], [], [], 0.1)
                    if r:
                        try:
                            out += os.read(fd, 65536)
                        except OSError:
                            return
                    if marker and out.endswith(marker):
                        return
            def send(text, marker=b"> "):
                os.write(fd, text.encode())
                read_until(marker, 10 if marker else 0.3)
            read_until(b"> ")
            send("sta\\t", None)
            send("\\r")
            send("use ord\\t", None)
            send("\\r")
            send("streams groups events:o\\t", None)
            send("\\r")
            send("stats --format nd\\t", None)
            send("\\r")
            send("stats --watch --interval 200ms\\r", None); time.sleep(0.8)
            send("\\x03")
            send("connect redis://:s3cret-pw@127.0.0.1:1/0\\r")
            for _ in range(100):
                send("ping -q\\r")
            sys.stderr.write("MQCTL_CLIENTS=%d\\n" % (mqctl_clients() - before))
            send("\\x04", None)
            read_until(None, 2)
            sys.stdout.write(out.decode(errors="replace"))
            """.write(to: driver, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [driver.path, binary, server.url, home.path]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let transcript = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        XCTAssertTrue(transcript.contains("mqctl 127.0.0.1:\(server.port)/0> "), transcript)
        XCTAssertTrue(transcript.contains("stats "), "sta<TAB> completed to stats: \(transcript)")
        XCTAssertTrue(transcript.contains("QUEUE"), "the completed stats ran: \(transcript)")
        XCTAssertTrue(transcript.contains("use orders"), "a live queue name completed: \(transcript)")
        XCTAssertTrue(transcript.contains("[orders]> "), "the prompt shows the queue: \(transcript)")
        XCTAssertTrue(transcript.contains("streams groups events:orders"), "a stream name completed: \(transcript)")
        XCTAssertTrue(transcript.contains("mailer"), "the completed line ran: \(transcript)")
        XCTAssertTrue(transcript.contains("stats --format ndjson"), "an option's value completed: \(transcript)")
        XCTAssertTrue(transcript.contains(#""queue":"orders""#), "the completed line ran: \(transcript)")
        XCTAssertTrue(transcript.contains("^C"), "Ctrl-C cancelled the watch: \(transcript)")
        XCTAssertTrue(transcript.contains("could not connect to Redis at 127.0.0.1:1"), transcript)
        XCTAssertFalse(transcript.contains("s3cret-pw@127.0.0.1:1/0>"), "the failed connect kept the old target")
        XCTAssertTrue(log.contains("MQCTL_CLIENTS=1\n"), "101 commands over one connection: \(log)")

        let history = try String(contentsOf: home.appendingPathComponent("state/mqctl/history"), encoding: .utf8)
        XCTAssertTrue(history.contains("stats"), history)
        XCTAssertTrue(history.contains("ping"), history)
        XCTAssertFalse(history.contains("s3cret"), "no password in the history: \(history)")
    }
}

/// Every password form typed at the shell stays out of the history file
/// on disk; the lines around them, and a URL with a user name alone, go in.
final class ReplHistoryOnDiskTests: RedisTestCase {
    func testNoPasswordFormReachesTheHistoryFile() throws {
        guard let python = RedisServer.findExecutable("python3") else {
            return XCTFail("python3 drives the pseudo-terminal and is missing: run Scripts/bootstrap")
        }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-history-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl").path
        // Each secret is unique, so the file can be searched for every one.
        let lines = [
            "connect redis://:secretA1@127.0.0.1:1", "connect redis://ops:secretA2@127.0.0.1:1/2",
            "connect 'redis://:pa secretA3@127.0.0.1:1'", "connect redis://:pa/secretA4@127.0.0.1:1",
            "connect redis://ops:p@secretA5@127.0.0.1:1", "connect rediss://:secretA6@127.0.0.1:1",
            "connect unix://ops:secretA7@/nonexistent/redis.sock", "connect redis-sentinel://:secretA8@127.0.0.1:1/mymaster",
            "ping --password secretA9", "auth secretA10", "connect 'redis://:secretA11@127.0.0.1:1",
            "ping -q", "connect redis://opsuser@127.0.0.1:1",
        ]
        // The session driver of the exit soak (Scripts/lib/shell_exit.py), typing these lines.
        let library = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/lib").path
        let driver = home.appendingPathComponent("drive.py")
        try """
            import json, sys
            sys.path.insert(0, sys.argv[5])
            from shell_exit import PROMPT, Session
            binary, url, home, lines = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
            session = Session(binary, url, home)
            session.pump(10, PROMPT)
            for line in lines:
                session.type(line + "\\r", 10)
            session.type("\\x04", 0, None)
            session.seconds_to_leave(10)
            sys.stdout.write(session.out.decode(errors="replace"))
            """.write(to: driver, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [driver.path, binary, server.url, home.path,
                             String(decoding: try JSONSerialization.data(withJSONObject: lines), as: UTF8.self), library]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let transcript = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        let history = try String(contentsOf: home.appendingPathComponent("state/mqctl/history"), encoding: .utf8)
        for number in 1...11 {
            XCTAssertFalse(history.contains("secretA\(number)"), "secretA\(number) reached the history: \(history)")
        }
        XCTAssertTrue(history.contains("ping\\040-q"), "the line without a secret is kept: \(history)\n\(transcript)")
        XCTAssertTrue(history.contains("opsuser@127.0.0.1:1"), "a user name alone is no secret: \(history)")
        let mode = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("state/mqctl/history").path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
    }
}

/// The history filter reads URLs with the URL parser itself, so every
/// form that carries a password is kept out, and a user name alone is not.
final class ReplHistoryFilterTests: XCTestCase {
    func testEveryPasswordFormIsKeptOut() {
        for line in [
            "connect redis://:s3cret@host", "connect redis://ops:s3cret@host:6380/2", "connect 'redis://:pa ss@host'",
            "connect redis://:pa/ss@host", "connect redis://ops:p@ss@host", "connect rediss://:s3cret@host",
            "connect unix://ops:pw@/tmp/r.sock", "connect redis-sentinel://:pw@a:26379,b:26379/mymaster",
            "connect --password s3cret", "auth s3cret", "connect 'redis://:unbalanced@host",
        ] {
            XCTAssertTrue(ReplSession.holdsSecret(line), line)
        }
        for line in ["connect redis://opsuser@host", "connect redis://host:6379/2", "stats orders", "use orders"] {
            XCTAssertFalse(ReplSession.holdsSecret(line), line)
        }
    }
}
