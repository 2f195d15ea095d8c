import Foundation
import XCTest

/// The built-in `rq` layout against RQ itself (PyPI, driven by
/// Scripts/interop): RQ's client enqueues, its worker fails some jobs into
/// the failed registry, mqctl lists them with their tracebacks and requeues
/// them as `FailedJobRegistry.requeue` does, and RQ's worker runs them.
final class RQLayoutTests: FrameworkTestCase {
    func rq(_ arguments: String...) throws -> [String: Any] { try interop("rq", arguments) }

    func testFailedJobsListedWithTheirErrorAndRequeuedAsRQDoes() throws {
        _ = try rq("enqueue", "--queue", "default", "--count", "6", "--fail-every", "3", "--retry", "0")
        XCTAssertEqual(try statsRow("default", layout: "rq")["ready"] as? Int, 6)
        _ = try rq("work", "--queue", "default")
        XCTAssertEqual(try summary("rq", "default")["failed"], 2)
        // The failed registry's scores are expiry times a year ahead; the count agrees with RQ's.
        XCTAssertEqual(try statsRow("default", layout: "rq")["dead"] as? Int, 2)

        let listed = try XCTUnwrap(try json(run("--layout", "rq", "dlq", "list", "default", "--error", "boom", "--newer-than", "1m", "-o", "json"))["items"] as? [[String: Any]])
        XCTAssertEqual(Set(listed.compactMap { $0["last_error"] as? String }.map { $0.components(separatedBy: "InteropError: ").last }), ["boom 3", "boom 6"])
        let failedAt = try XCTUnwrap(listed.first?["at"] as? String)
        XCTAssertTrue(failedAt.hasPrefix(String(ISO8601DateFormatter().string(from: Date()).prefix(13))), "ended_at, not the expiry score: \(failedAt)")

        let dry = try json(run("dlq", "replay", "default", "--all", "--dry-run", "-o", "json"))
        XCTAssertEqual(dry["would_move"] as? Int, 2)
        _ = try rq("set-failing", "off")
        XCTAssertEqual(try json(run("dlq", "replay", "default", "--all", "-y", "-o", "json"))["moved"] as? Int, 2)
        let ids = try redis("LRANGE", "rq:queue:default", 0, -1).array().map { try $0.string() }
        XCTAssertEqual(ids.count, 2)
        for id in ids {
            let fields = try redis("HMGET", "rq:job:\(id)", "status", "started_at", "ended_at", "enqueued_at").array().map { try $0.optionalString() }
            XCTAssertEqual(fields[0], "queued")
            XCTAssertEqual(fields[1], "")
            XCTAssertEqual(fields[2], "")
            XCTAssertTrue(fields[3]?.hasSuffix("000Z") == true, fields[3] ?? "nil")
        }
        XCTAssertEqual(try summary("rq", "default")["failed"], 0)
        let worked = try rq("work", "--queue", "default")
        XCTAssertEqual(worked["succeeded"] as? Int, 2, "RQ's own worker runs the requeued jobs")
        XCTAssertEqual(try summary("rq", "default")["done"], 6)
    }

    func testPurgeDeletesTheJobAndImportIsRefused() throws {
        _ = try rq("enqueue", "--queue", "low", "--count", "2", "--fail-every", "1", "--retry", "0")
        _ = try rq("work", "--queue", "low")
        let ids = try redis("ZRANGE", "rq:failed:low", 0, -1).array().map { try $0.string() }
        XCTAssertEqual(ids.count, 2)
        XCTAssertEqual(run("dlq", "purge", "low", ids[0], "-y", "-q").code, 0)
        XCTAssertEqual(try redis("EXISTS", "rq:job:\(ids[0])").int(), 0, "as Job.delete does")
        XCTAssertEqual(try summary("rq", "low")["failed"], 1)
        let restore = run("dlq", "import", "low", stdin: run("dlq", "export", "low").stdout)
        XCTAssertEqual(restore.code, 64, "an id without its job hash would be a broken job")
        XCTAssertEqual(try redis("ZCARD", "rq:failed:low").int(), 1)
    }

    /// Jobs named by their function's path are pickled as RQ pickles them
    /// (read back by Python's own pickle) and run by RQ's worker.
    func testEnqueuedCallsArePickledAsRQDoesAndRunByItsWorker() throws {
        let add = run("--layout", "rq", "enqueue", "reports", #"{"func": "rq_driver.job", "args": [41, 0]}"#)
        XCTAssertEqual(add.code, 0, add.stderr)
        XCTAssertEqual(try summary("rq", "reports")["ready"], 1, "rq info counts it")
        let later = run("--layout", "rq", "enqueue", "reports", "--delay", "1h", #"{"func": "rq_driver.job", "args": [42, 0]}"#)
        XCTAssertEqual(later.code, 0, later.stderr)
        XCTAssertEqual(try summary("rq", "reports")["scheduled"], 1)
        let work = try rq("work", "--queue", "reports", "--seconds", "20")
        XCTAssertEqual(work["succeeded"] as? Int, 1, "\(work)")

        let odd = #"{"func": "app.tasks.send", "args": ["it's \"q\"\n", 1.5, -7, 300, 70000, 4294967296, -9223372036854775807, true, null, [1, {"a": []}], "n\u00e9"], "kwargs": {"to": "x"}}"#
        XCTAssertEqual(run("--layout", "rq", "enqueue", "odd", odd).code, 0)
        let id = try redis("LINDEX", "rq:queue:odd", 0).string()
        let data = try redis("HGET", "rq:job:\(id)", "data").bytes()
        let python = try pythonRead(data, """
            import sys, zlib, pickle
            f, inst, args, kwargs = pickle.loads(zlib.decompress(sys.stdin.buffer.read()))
            print(repr((f, inst, args, kwargs)))
            print(f + "(" + ", ".join([repr(a) for a in args] + [k + "=" + repr(v) for k, v in kwargs.items()]) + ")")
            """)
        XCTAssertEqual(python[0], #"('app.tasks.send', None, ('it\'s "q"\n', 1.5, -7, 300, 70000, 4294967296, -9223372036854775807, True, None, [1, {'a': []}], 'né'), {'to': 'x'})"#)
        XCTAssertEqual(try redis("HGET", "rq:job:\(id)", "description").string(), python[1], "the description is RQ's call string")
        for (payload, why) in [("x", "not a JSON object"), (#"{"func": "nodots"}"#, "dotted path"), (#"{"func": "a.b", "args": {}}"#, "must be a list")] {
            let refused = run("--layout", "rq", "enqueue", "odd", payload)
            XCTAssertEqual(refused.code, 64, payload)
            XCTAssertTrue(refused.stderr.contains(why), refused.stderr)
        }
    }

    /// Python 3's reading of `input` by `script`, line by line.
    private func pythonRead(_ input: [UInt8], _ script: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func testSeveralFrameworksInOneRedisEachWithItsLayout() throws {
        _ = try rq("enqueue", "--queue", "default", "--count", "3")
        _ = try interop("sidekiq", ["enqueue", "--queue", "default", "--count", "2"])
        XCTAssertEqual(run("enqueue", "native-orders", "hello", "-q").code, 0)
        let rows = try XCTUnwrap(try json(run("stats", "-o", "json"))["queues"] as? [[String: Any]])
        let shown = Dictionary(uniqueKeysWithValues: rows.map { ("\($0["layout"]!)/\($0["queue"]!)", $0["ready"] as? Int ?? -1) })
        XCTAssertEqual(shown, ["native/native-orders": 1, "rq/default": 3, "sidekiq/default": 2])
        // A name two layouts have needs --layout.
        let ambiguous = run("peek", "default")
        XCTAssertEqual(ambiguous.code, 64)
        XCTAssertTrue(ambiguous.stderr.contains("choose one with --layout"), ambiguous.stderr)
        XCTAssertEqual(run("--layout", "rq", "peek", "default", "-q").code, 0)
    }
}
