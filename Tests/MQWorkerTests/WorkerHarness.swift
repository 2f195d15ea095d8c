import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// Runs `mqctl work` as a real process against the test's Redis, with
/// handler scripts written to a temporary folder.
class WorkerTestCase: RedisTestCase {
    var folder: URL!
    var redis: RedisConnection!
    var workers: [Process] = []
    /// The Redis `mqctl(...)` talks to, when not the shared server.
    var mqctlURL: String?

    override func setUpWithError() throws {
        try super.setUpWithError()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-worker-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        redis = try connect()
    }

    override func tearDownWithError() throws {
        for worker in workers where worker.isRunning {
            kill(worker.processIdentifier, SIGKILL)
            worker.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
        try super.tearDownWithError()
    }

    var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
    }

    /// Writes an executable shell script and returns its path.
    func script(_ name: String, _ body: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try ("#!/bin/sh\n" + body).write(to: url, atomically: true, encoding: .utf8)
        chmod(url.path, 0o755)
        return url.path
    }

    var logPath: String { folder.appendingPathComponent("handled.log").path }

    /// A pipe handler in sh: appends each id to the log, answers ok.
    func pipeHandler(failing: String? = nil) throws -> String {
        try script("pipe.sh", """
            while IFS= read -r line; do
              id=$(printf '%s' "$line" | sed -n 's/.*"id":"\\([^"]*\\)".*/\\1/p')
              echo "$id" >> \(logPath)
              case "$line" in
                *\(failing ?? "never-matches")*) printf '{"id":"%s","ok":false,"error":"nope","permanent":true}\\n' "$id" ;;
                *) printf '{"id":"%s","ok":true}\\n' "$id" ;;
              esac
            done
            """)
    }

    /// The lines the handlers appended to the log.
    func handled() -> [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Starts `mqctl work` with `arguments`, and `environment` added to
    /// its own; stderr goes to a file.
    @discardableResult
    func startWorker(_ arguments: [String], url: String? = nil, environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["work"] + arguments
        process.environment = ["MQCTL_URL": url ?? server.url, "PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errPath = nextWorkerStderr()
        process.standardError = try FileHandle(forWritingTo: errPath)
        try process.run()
        workers.append(process)
        return process
    }

    /// The file the next worker's stderr goes to, created when missing
    /// (so a test can stat it first, for `$JOURNAL_STREAM`).
    @discardableResult
    func nextWorkerStderr() -> URL {
        let path = folder.appendingPathComponent("worker-\(workers.count).err")
        if !FileManager.default.fileExists(atPath: path.path) { FileManager.default.createFile(atPath: path.path, contents: nil) }
        return path
    }

    func workerLog(_ index: Int = 0) -> String {
        (try? String(contentsOf: folder.appendingPathComponent("worker-\(index).err"), encoding: .utf8)) ?? ""
    }

    /// Runs mqctl (not the worker) to completion.
    @discardableResult
    func mqctl(_ arguments: String..., stdin: String? = nil) throws -> (code: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ["MQCTL_URL": mqctlURL ?? server.url]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        // stderr is read after stdout; mqctl's error lines are far below a pipe's buffer.
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }

    /// Waits until `condition` holds, up to `timeout` seconds.
    func eventually(timeout: Double = 20, _ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("timed out waiting for: \(what)")
    }

    func count(_ command: String, _ key: String) throws -> Int64 {
        try redis.send(command, key).int()
    }

    func wait(_ process: Process, timeout: Double = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return process.isRunning ? nil : process.terminationStatus
    }
}
