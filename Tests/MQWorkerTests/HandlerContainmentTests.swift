import Foundation
@testable import MQCore
import XCTest

/// What a handler can reach and what outlives it (issue 15): descriptors,
/// process groups, a killed worker, the environment, and a pipe handler
/// that writes too much or the wrong thing.
final class HandlerContainmentTests: WorkerTestCase {
    // MARK: - Descriptors

    /// With several slots spawning at once, a handler must hold no pipe or
    /// socket but its own stdio: not a sibling's stdin write end (which
    /// hangs the sibling's `payload=$(cat)`), not the worker's Redis
    /// connections.
    func testHandlersInheritOnlyTheirOwnStdio() throws {
        let fdsFolder = folder.appendingPathComponent("fds")
        try FileManager.default.createDirectory(at: fdsFolder, withIntermediateDirectories: true)
        let handler = try script("fds.sh", """
            payload=$(cat)
            ls -l /proc/$$/fd > \(fdsFolder.path)/$MQ_ID
            """)
        for index in 0..<16 { try mqctl("enqueue", "orders", "m\(index)", "--id", "m\(index)") }
        let worker = try startWorker(["orders", "--concurrency", "4", "--handler-timeout", "5s", "--burst", "--", handler])
        XCTAssertEqual(wait(worker, timeout: 20), 0, workerLog())
        XCTAssertEqual(try processed(), 16, "no handler hung on its stdin")
        var stray: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: fdsFolder.path) {
            let listing = try String(contentsOf: fdsFolder.appendingPathComponent(name), encoding: .utf8)
            for line in listing.split(separator: "\n") where line.contains("-> pipe:") || line.contains("-> socket:") {
                // `ls -l` ends a line with "FD -> TARGET".
                let fields = line.split(separator: " ")
                if let arrow = fields.firstIndex(of: "->"), let fd = Int(fields[arrow - 1]), fd > 2 { stray.append("\(name): \(line)") }
            }
        }
        XCTAssertEqual(stray, [], "descriptors a handler inherited")
    }

    // MARK: - Process groups

    func testWhatAHandlerStartedDiesWhenTheHandlerExits() throws {
        let pidFile = folder.appendingPathComponent("grandchild.pid").path
        let handler = try script("leaves.sh", """
            cat > /dev/null
            sleep 30 &
            echo $! > \(pidFile)
            """)
        try mqctl("enqueue", "orders", "x")
        let worker = try startWorker(["orders", "--burst", "--", handler])
        XCTAssertEqual(wait(worker), 0, workerLog())
        XCTAssertEqual(try processed(), 1)
        let grandchild = try pid(in: pidFile)
        try eventually(timeout: 5, "the background sleep is killed with its handler's group") { !isAlive(grandchild) }
    }

    /// SIGKILL gives the worker no chance to clean up: the handlers and
    /// what they started must still go, in exec and in pipe mode (a pipe
    /// handler that never reads its stdin cannot notice the worker gone).
    func testAKilledWorkerTakesItsHandlersDown() throws {
        func stubborn(_ name: String) throws -> (handler: String, pids: [String]) {
            let pids = ["handler", "child"].map { folder.appendingPathComponent("\(name)-\($0).pid").path }
            let handler = try script("\(name).sh", """
                trap '' TERM HUP
                echo $$ > \(pids[0]).tmp && mv \(pids[0]).tmp \(pids[0])
                sleep 30 &
                echo $! > \(pids[1]).tmp && mv \(pids[1]).tmp \(pids[1])
                wait
                """)
            return (handler, pids)
        }
        let exec = try stubborn("exec"), pipe = try stubborn("pipe")
        try mqctl("enqueue", "execq", "x")
        try mqctl("enqueue", "pipeq", "x")
        let workers = [try startWorker(["execq", "--", exec.handler]), try startWorker(["pipeq", "--pipe", "--", pipe.handler])]
        let pidFiles = exec.pids + pipe.pids
        try eventually(timeout: 10, "both handlers and their children run") { pidFiles.allSatisfy { FileManager.default.fileExists(atPath: $0) } }
        for worker in workers { kill(worker.processIdentifier, SIGKILL) }
        let pids = try pidFiles.map(pid(in:))
        try eventually(timeout: 5, "every handler process is gone") { pids.allSatisfy { !isAlive($0) } }
    }

    // MARK: - Environment

    func testHandlersDoNotSeeMqctlConnectionSettings() throws {
        let handler = try script("env.sh", "cat > /dev/null; env > \(logPath)\n")
        try mqctl("enqueue", "orders", "x", "--id", "e1")
        let worker = try startWorker(["orders", "--burst", "--", handler])
        XCTAssertEqual(wait(worker), 0, workerLog())
        let names = Set(handled().map { String($0.prefix { $0 != "=" }) })
        XCTAssertFalse(names.contains("MQCTL_URL"), "the worker's MQCTL_URL reached the handler")
        XCTAssertTrue(handled().contains("MQ_ID=e1"), "\(handled())")
        XCTAssertTrue(handled().contains("PATH=/usr/bin:/bin"), "the rest of the worker's environment is kept")
    }

    /// The names withheld, the rest kept, and `--pass-env` keeping one on
    /// purpose, as a spawned process sees them.
    func testWithheldAndPassedVariables() throws {
        let worker = [
            "PATH": "/usr/bin:/bin", "HOME": "/home/ops", "APP_TOKEN": "app's own",
            "MQCTL_URL": "redis://:secret@db:6379", "MQCTL_PASSWORD": "secret", "MQCTL_PREFIX": "jobs",
            "REDISCLI_AUTH": "secret", "REDIS_URL": "redis://:secret@db:6379", "MQ_ID": "left over from an outer worker",
        ]
        let environment = HandlerEnvironment(passing: ["MQCTL_PREFIX"], from: worker).adding(["MQ_ATTEMPT": "1"])
        let child = try ChildProcess(command: try HandlerCommand(resolving: ["env"], path: "/usr/bin:/bin"), environment: environment,
                                     pipeStdin: false, pipeStdout: true, pipeStderr: false)
        let seen = Set(try readToEnd(child.stdout).split(separator: "\n").map(String.init))
        XCTAssertEqual(seen, ["PATH=/usr/bin:/bin", "HOME=/home/ops", "APP_TOKEN=app's own", "MQCTL_PREFIX=jobs", "MQ_ATTEMPT=1"])
        XCTAssertFalse(HandlerEnvironment.isValidName("A=B"))
        XCTAssertTrue(HandlerEnvironment.isValidName("MQCTL_URL"))
    }

    // MARK: - Starting the handler

    func testResolvingTheHandlerCommandLikeExecvp() throws {
        let executable = try script("ok.sh", "exit 0\n")
        let plain = folder.appendingPathComponent("plain.txt").path
        FileManager.default.createFile(atPath: plain, contents: Data("not a program".utf8))
        func reason(_ command: String, path: String = "/usr/bin:/bin") -> String {
            do {
                _ = try HandlerCommand(resolving: [command], path: path)
                return "resolved"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(try HandlerCommand(resolving: [executable, "--flag"], path: nil).executable, executable)
        XCTAssertEqual(try HandlerCommand(resolving: ["ok.sh"], path: "/nonexistent:\(folder.path)").executable, executable, "found on PATH")
        XCTAssertEqual(try HandlerCommand(resolving: ["ok.sh"], path: "/nonexistent:\(folder.path)").arguments, ["ok.sh"], "argv[0] as given")
        XCTAssertEqual(reason("./no-such-handler"), "cannot start handler './no-such-handler': no such file")
        XCTAssertEqual(reason(plain), "cannot start handler '\(plain)': not executable (chmod +x it)")
        XCTAssertEqual(reason(folder.path), "cannot start handler '\(folder.path)': is a directory")
        XCTAssertEqual(reason("no-such-handler"), "cannot start handler 'no-such-handler': not found on PATH (/usr/bin:/bin)")
        XCTAssertEqual(reason("ok.sh", path: folder.path), "resolved")
        XCTAssertEqual(reason(""), "cannot start handler '': empty command")
    }

    /// Headers too big for an environment variable can never start a
    /// handler: the message goes to the dead letters at once instead of
    /// using all its attempts.
    func testHeadersTooLargeForTheEnvironmentAreAPermanentFailure() throws {
        try mqctl("enqueue", "orders", "x", "--id", "big", "--max-attempts", "3")
        let headers = "{\"blob\":\"" + String(repeating: "h", count: 200_000) + "\"}"
        try redis.send("HSET", "mq:{orders}:msg:big", "headers", headers)
        let worker = try startWorker(["orders", "--backoff", "fixed", "--backoff-base", "100ms", "--", "/bin/true"])
        try eventually(timeout: 10, "dead-lettered") { try count("ZCARD", "mq:{orders}:dead") == 1 }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)
        XCTAssertEqual(try redis.send("HGET", "mq:{orders}:msg:big", "attempts").string(), "1")
        let error = try redis.send("HGET", "mq:{orders}:msg:big", "last_error").string()
        XCTAssertTrue(error.contains("MQ_HEADERS"), error)
    }

    // MARK: - A pipe handler that misbehaves

    /// A first handler writes 100 MB with no newline: past 1 MiB it is
    /// killed, before the worker holds much of it, and the message is
    /// retried on a fresh handler that answers.
    func testAnOverlongReplyLineRestartsThePipeHandler() throws {
        let marker = folder.appendingPathComponent("flooded-once").path
        let handler = try script("long.sh", """
            if [ ! -f \(marker) ]; then
              touch \(marker)
              head -c 100000000 /dev/zero | tr '\\0' x
              sleep 30
            fi
            while IFS= read -r line; do
              id=$(printf '%s' "$line" | sed -n 's/.*"id":"\\([^"]*\\)".*/\\1/p')
              printf '{"id":"%s","ok":true}\\n' "$id"
            done
            """)
        try mqctl("enqueue", "orders", "x")
        let worker = try startWorker(["orders", "--pipe", "--handler-timeout", "20s", "--backoff", "fixed", "--backoff-base", "100ms", "--", handler])
        try eventually(timeout: 10, "acked by the second handler") { try self.processed() == 1 }
        XCTAssertLessThan(try peakMemoryMiB(worker), 64)
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0)
        XCTAssertTrue(workerLog().contains("a line longer than 1 MiB"), workerLog())
    }

    /// 1 MB of `x` lines before the answer: read in linear time (well
    /// under the timeout) and reported by a warning or two with a count,
    /// not one per line.
    func testJunkLinesAreSkippedQuicklyWithThrottledWarnings() throws {
        let handler = try script("junk.sh", """
            while IFS= read -r line; do
              id=$(printf '%s' "$line" | sed -n 's/.*"id":"\\([^"]*\\)".*/\\1/p')
              yes x | head -c 1000000
              printf '{"id":"%s","ok":true}\\n' "$id"
            done
            """)
        try mqctl("enqueue", "orders", "x")
        let worker = try startWorker(["orders", "--pipe", "--handler-timeout", "20s", "--burst", "--", handler])
        XCTAssertEqual(wait(worker, timeout: 10), 0, "the answer after the junk was found in time")
        XCTAssertEqual(try processed(), 1)
        let warnings = workerLog().split(separator: "\n").filter { $0.contains("not a result") }
        XCTAssertLessThanOrEqual(warnings.count, 3, "\(warnings.count) warnings")
        XCTAssertTrue(workerLog().contains("suppressed"), workerLog())
    }

    /// A handler that writes lines without end: the timeout still fires,
    /// and a second signal still stops the worker at once.
    func testTimeoutAndSecondSignalWorkWhileAPipeHandlerFloods() throws {
        let handler = try script("flood.sh", "exec yes x\n")
        try mqctl("enqueue", "orders", "first", "--id", "first", "--max-attempts", "1")
        try mqctl("enqueue", "orders", "second", "--id", "second", "--max-attempts", "1")
        let worker = try startWorker(["orders", "--pipe", "--batch", "1", "--handler-timeout", "1s", "--", handler])
        try eventually(timeout: 6, "the first timed out") { try count("ZCARD", "mq:{orders}:dead") == 1 }
        let error = try redis.send("HGET", "mq:{orders}:msg:first", "last_error").string()
        XCTAssertTrue(error.hasPrefix("timed out after 1s"), error)
        try eventually(timeout: 3, "the second is running") { try count("ZCARD", "mq:{orders}:inflight") == 1 }
        kill(worker.processIdentifier, SIGTERM)
        Thread.sleep(forTimeInterval: 0.2)
        let stopping = Date()
        kill(worker.processIdentifier, SIGINT)
        XCTAssertEqual(wait(worker, timeout: 10), 0, workerLog())
        XCTAssertLessThan(Date().timeIntervalSince(stopping), 2, "the second signal was noticed while the handler wrote")
    }

    // MARK: - Helpers

    /// The orders queue's processed counter, 0 before the first ack.
    private func processed() throws -> Int64 {
        let reply = try redis.send("GET", "mq:{orders}:count:processed")
        return reply == .null ? 0 : try reply.int()
    }

    private func pid(in file: String) throws -> pid_t {
        try XCTUnwrap(pid_t(String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Running, not gone nor a zombie waiting to be reaped.
    private func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let state = stat.split(separator: ")").last?.split(separator: " ").first else { return false }
        return state != "Z" && state != "X"
    }

    /// The most memory the process has held (VmHWM).
    private func peakMemoryMiB(_ process: Process) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        return try XCTUnwrap(Int(line.split(separator: " ")[1])) / 1024
    }

    private func readToEnd(_ fd: Int32) throws -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        while true {
            _ = poll(&fds, 1, 5_000)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n == 0 { return String(decoding: bytes, as: UTF8.self) }
            if n < 0 && errno != EAGAIN { throw POSIXError(.EIO) }
            if n > 0 { bytes += chunk[..<n] }
        }
    }
}
