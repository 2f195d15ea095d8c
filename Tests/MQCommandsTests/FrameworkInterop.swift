import Foundation
import MQTestSupport
import XCTest

/// Runs the real frameworks through Scripts/interop (set up by
/// `Scripts/interop setup`, which Scripts/test runs first).
class FrameworkTestCase: CommandTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// One `Scripts/interop FRAMEWORK ...` command's JSON, against the test's Redis.
    func interop(_ framework: String, _ arguments: [String]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = Self.root.appendingPathComponent("Scripts/interop")
        process.arguments = [framework] + arguments + ["--url", server.url]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("Scripts/interop \(framework) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(stderr)")
        }
        return try XCTUnwrap(JSONSerialization.jsonObject(with: stdout) as? [String: Any], String(decoding: stdout, as: UTF8.self))
    }

    /// Starts a `Scripts/interop FRAMEWORK ...` command (a live worker)
    /// and returns it running; its output is discarded.
    func startInterop(_ framework: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = Self.root.appendingPathComponent("Scripts/interop")
        process.arguments = [framework] + arguments + ["--url", server.url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The framework's own counts for a queue (ready, scheduled, retry, failed, running, done).
    func summary(_ framework: String, _ queue: String) throws -> [String: Int] {
        try XCTUnwrap(try interop(framework, ["counts", "--queue", queue])["summary"] as? [String: Int])
    }

    /// mqctl's stats row of a queue.
    func statsRow(_ queue: String, layout: String) throws -> [String: Any] {
        let rows = try XCTUnwrap(try json(run("stats", "-o", "json"))["queues"] as? [[String: Any]])
        return try XCTUnwrap(rows.first { $0["queue"] as? String == queue && $0["layout"] as? String == layout }, "\(rows)")
    }
}
