import Foundation
import MQCommands
import MQFormat
import MQRedis
import XCTest

/// Input mqctl accepts from an operator or a file: each value of the wrong
/// type or out of its range is refused with a usage error (64) or, for a
/// line of bulk input, by line number (65), and nothing of it is written.
final class InputRulesTests: CommandTestCase {
    // MARK: enqueue --stdin

    func testOneIdempotencyKeyForAllOfStdinIsRefused() throws {
        let result = run("enqueue", "orders", "--stdin", "--idempotency-key", "K", stdin: "a\nb\nc\n")
        XCTAssertEqual(result.code, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("with --stdin give idempotency_key per line"), result.stderr)
        XCTAssertEqual(try redis("DBSIZE").int(), 0)
    }

    func testIdempotencyKeysComePerNDJSONLine() throws {
        let lines = (0..<1000).map { #"{"payload": "m\#($0)", "idempotency_key": "k\#($0)"}"# }.joined(separator: "\n")
        let first = try json(run("enqueue", "orders", "--stdin", "--ndjson", "--json", stdin: lines))
        XCTAssertEqual(first["enqueued"] as? Int, 1000)
        XCTAssertEqual(first["duplicates"] as? Int, 0)
        let again = try json(run("enqueue", "orders", "--stdin", "--ndjson", "--json", stdin: lines))
        XCTAssertEqual(again["enqueued"] as? Int, 0)
        XCTAssertEqual(again["duplicates"] as? Int, 1000)
        XCTAssertEqual(try redis("LLEN", "mq:{orders}:ready:normal").int(), 1000)
    }

    func testNDJSONFieldsOfTheWrongTypeOrRangeAreRefusedByLine() throws {
        let refused: [(line: String, message: String)] = [
            (#"{"payload": "a", "idempotency_key": 1002}"#, #""idempotency_key" must be a string"#),
            (#"{"payload": "a", "id": 7}"#, #""id" must be a string"#),
            (#"{"payload": "a", "max_attempts": "3"}"#, #""max_attempts" must be an integer from 1 to 999999999999999"#),
            (#"{"payload": "a", "max_attempts": -5}"#, #""max_attempts" must be an integer from 1"#),
            (#"{"payload": "a", "max_attempts": 0}"#, #""max_attempts" must be an integer from 1"#),
            (#"{"payload": "a", "max_attempts": 1.5}"#, #""max_attempts" must be an integer from 1"#),
            (#"{"payload": "a", "max_attempts": true}"#, #""max_attempts" must be an integer from 1"#),
            (#"{"payload": "a", "priority": 1}"#, #""priority" must be a string"#),
            (#"{"payload": "a", "delay": 60}"#, #""delay" must be a string"#),
            (#"{"payload": "a", "at": true}"#, #""at" must be a time"#),
            (#"{"payload": "a", "at": 1795370400000}"#, "invalid time '1795370400000': outside 1970"),
            (#"{"payload": "a", "delay": "1m", "at": "+1m"}"#, #"give "delay" or "at", not both"#),
            (#"{"payload": "a", "headers": {"h": 1}}"#, #""headers" must be an object of strings"#),
            (#"{"payload": "a", "payload_encoding": 1}"#, #""payload_encoding" must be a string"#),
            (#"{"payload": "a", "idempotency_key": ""}"#, #""idempotency_key" must not be empty"#),
            (#"{"payload": "a", "delay_ms": 5}"#, "unknown field 'delay_ms'"),
            (#"{"payload": "a", "payload": "b"}"#, "field 'payload' is given twice"),
            (#"{"id": "x"}"#, #""payload" is missing"#),
        ]
        let input = ([#"{"payload": "kept", "max_attempts": 3, "id": null}"#] + refused.map(\.line)).joined(separator: "\n") + "\n"
        let result = run("enqueue", "orders", "--stdin", "--ndjson", "--json", stdin: input)
        XCTAssertEqual(result.code, 65, result.stderr)
        for (index, case_) in refused.enumerated() {
            XCTAssertTrue(result.stderr.contains("line \(index + 2): \(case_.message)"), "\(case_.line)\n\(result.stderr)")
        }
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["enqueued"] as? Int, 1)
        XCTAssertEqual(summary["invalid"] as? Int, refused.count)
        XCTAssertEqual(try redis("LLEN", "mq:{orders}:ready:normal").int(), 1)
        let id = try redis("LINDEX", "mq:{orders}:ready:normal", 0).string()
        XCTAssertEqual(try redis("HGET", "mq:{orders}:msg:\(id)", "max_attempts").string(), "3")
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:delayed").int(), 0, "no refused line was written")
    }

    func testNDJSONAtNumberIsEpochSeconds() throws {
        let inAnHour = Int64(Date().timeIntervalSince1970) + 3600
        let result = try json(run("enqueue", "orders", "--stdin", "--ndjson", "--json", stdin: #"{"payload": "a", "at": \#(inAnHour)}"#))
        XCTAssertEqual(result["enqueued"] as? Int, 1)
        let id = try XCTUnwrap(try redis("ZRANGE", "mq:{orders}:delayed", 0, 0).array().first).string()
        XCTAssertEqual(try redis("HGET", "mq:{orders}:msg:\(id)", "run_at").string(), "\(inAnHour * 1000)")
    }

    // MARK: durations, times and counts on the command line

    // In a process of its own: before, these trapped (exit 132) or wrapped around.
    func testDurationsTimesAndCountsOutOfRangeExit64() throws {
        for arguments in [["enqueue", "q", "x", "--delay", "106751991166d"], ["enqueue", "q", "x", "--at", "+106751991166d"],
                          ["enqueue", "q", "x", "--at", "9223372036854775807"], ["enqueue", "q", "x", "--at", "1700000000000"],
                          ["enqueue", "q", "x", "--max-attempts", "0"], ["enqueue", "q", "x", "--max-attempts", "1000000000000000"],
                          ["enqueue", "q", "x", "--delay", "3651d"], ["work", "q", "--lease", "106751991166d", "--", "true"],
                          ["dlq", "list", "q", "--older-than", "9223372036854775807ms"]] {
            let result = try mqctlProcess(arguments, environment: environment)
            XCTAssertEqual(result.code, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("mqctl: error: "), result.stderr)
        }
    }

    func testTimeoutIsAtMostOneDay() throws {
        // 25d is past Int32 milliseconds, which poll(2) takes: it trapped.
        let result = try mqctlProcess(["--timeout", "25d", "ping"], environment: environment)
        XCTAssertEqual(result.code, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("invalid duration '25d': at most 1d"), result.stderr)
        XCTAssertEqual(mqctl(["--timeout", "1d", "ping"], environment: environment).code, 0)
    }

    func testABareAtNumberIsEpochSeconds() throws {
        let inAnHour = Int64(Date().timeIntervalSince1970) + 3600
        for (at, runAt) in [("\(inAnHour)", inAnHour * 1000), ("\(inAnHour)s", inAnHour * 1000), ("\(inAnHour * 1000 + 5)ms", inAnHour * 1000 + 5)] {
            let enqueued = try json(run("enqueue", "orders", "x", "--at", at, "--json"))
            XCTAssertEqual(enqueued["state"] as? String, "delayed", "read as milliseconds it was 1970, so ready: \(at)")
            let id = try XCTUnwrap(enqueued["id"] as? String)
            XCTAssertEqual(try redis("HGET", "mq:{orders}:msg:\(id)", "run_at").string(), "\(runAt)")
        }
    }

    // MARK: seq restore

    func testSeqRestoreRefusesValuesOutsideInt64() throws {
        let input = """
            {"key": "seq:huge", "value": 1e30}
            {"key": "seq:half", "value": 1.5}
            {"key": "seq:text", "value": "5"}
            {"key": "seq:ttl", "value": 5, "ttl": 100000000000000000}
            {"key": "seq:max", "value": 9223372036854775807, "ttl": 300}

            """
        let result = run("seq", "restore", "--json", stdin: input)
        XCTAssertEqual(result.code, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains(#"line 1: "value" must be an integer from -9223372036854775808 to 9223372036854775807"#), result.stderr)
        XCTAssertTrue(result.stderr.contains(#"line 2: "value" must be an integer"#), result.stderr)
        XCTAssertTrue(result.stderr.contains(#"line 3: "value" must be an integer"#), result.stderr)
        XCTAssertTrue(result.stderr.contains(#"line 4: "ttl" must be an integer from 1 to 315360000"#), result.stderr)
        XCTAssertEqual(try redis("EXISTS", "seq:huge", "seq:half", "seq:text", "seq:ttl").int(), 0)
        XCTAssertEqual(try redis("GET", "seq:max").string(), "9223372036854775807", "the largest Int64 exactly")
        XCTAssertGreaterThan(try redis("TTL", "seq:max").int(), 0)
    }

    // MARK: dlq import

    func testImportLinesAreTypeAndRangeChecked() throws {
        let valid = #"{"id":"ok","payload":"p","attempts":2,"max_attempts":5,"failed_at":"2026-11-22T18:00:00.250Z","queue":"orders","state":"dead"}"#
        let refused: [(line: String, message: String)] = [
            (#"{"id":"a","payload":"p","attempts":"3"}"#, #""attempts" must be an integer from 0"#),
            (#"{"id":"b","payload":"p","max_attempts":0}"#, #""max_attempts" must be an integer from 1"#),
            (#"{"id":"c","payload":"p","failed_at":1795370400000}"#, "invalid time '1795370400000': outside 1970"),
            (#"{"id":"d","payload":"p","run_at":-9.9e99}"#, #""run_at" must be a time"#),
            (#"{"id":"e","payload":"p","colour":"red"}"#, "unknown field 'colour'"),
            (#"{"id":"f","payload":"p","headers":{"k":true}}"#, #""headers" must be an object of strings"#),
            (#"{"payload":"p"}"#, #""id" is missing"#),
        ]
        let result = run("dlq", "import", "copy", "--json", stdin: ([valid] + refused.map(\.line)).joined(separator: "\n") + "\n")
        XCTAssertEqual(result.code, 65, result.stderr)
        for (index, case_) in refused.enumerated() {
            XCTAssertTrue(result.stderr.contains("line \(index + 2): \(case_.message)"), "\(case_.line)\n\(result.stderr)")
        }
        XCTAssertEqual(try redis("ZRANGE", "mq:{copy}:dead", 0, -1).array().map { try $0.string() }, ["ok"])
        XCTAssertEqual(try redis("HGET", "mq:{copy}:msg:ok", "failed_at").string(), "1795370400250")
        XCTAssertEqual(try redis("HGET", "mq:{copy}:msg:ok", "attempts").string(), "2")
    }

    func testAnOverlongImportLineIsRefusedByNumberAndTheRestImported() throws {
        let line = { (id: String, payload: String) in #"{"id":"\#(id)","payload":"\#(payload)"}"# }
        let input = [line("first", "p"), line("long", String(repeating: "x", count: 5000)), line("last", "p")].joined(separator: "\n")
        let stdout = OutputSink.memory()
        let stderr = OutputSink.memory()
        let code = MQCtl.execute(arguments: ["dlq", "import", "copy", "--json"], environment: environment,
                                 stdin: .memory(Array(input.utf8), maximumLineLength: 1024), stdout: stdout, stderr: stderr)
        XCTAssertEqual(code, 65, stderr.text)
        XCTAssertTrue(stderr.text.contains("line 2: the line is longer than 1024 bytes, the most a line may hold"), stderr.text)
        XCTAssertEqual(try redis("ZRANGE", "mq:{copy}:dead", 0, -1).array().map { try $0.string() }.sorted(), ["first", "last"])
    }

    // MARK: the line reader

    /// Writes `bytes` into a pipe from another thread and returns what
    /// `read` makes of the reading end.
    private func throughPipe<T>(_ bytes: [UInt8], maximumLineLength: Int = InputSource.defaultMaximumLineLength,
                                _ read: (InputSource) -> T) -> T {
        let pipe = Pipe()
        let writer = Thread {
            pipe.fileHandleForWriting.write(Data(bytes))
            try? pipe.fileHandleForWriting.close()
        }
        writer.start()
        defer { try? pipe.fileHandleForReading.close() }
        return read(.descriptor(pipe.fileHandleForReading.fileDescriptor, maximumLineLength: maximumLineLength))
    }

    private func allLines(_ source: InputSource) -> [Result<[UInt8], InputSource.LineTooLong>] {
        var lines: [Result<[UInt8], InputSource.LineTooLong>] = []
        while let line = source.nextLine() { lines.append(line) }
        return lines
    }

    func testLinesSplitAcrossBlocksComeWhole() {
        // Lines of every length around the 64 KiB block size, "\r" kept, and a last line without "\n".
        let lengths = [0, 1, 65_535, 65_536, 65_537, 3, 200_000, 0, 10]
        let lines = lengths.enumerated().map { index, length in [UInt8](repeating: UInt8(ascii: "a") + UInt8(index), count: length) }
        var input = lines.dropLast().flatMap { $0 + [UInt8(ascii: "\n")] } + lines.last!
        input.insert(UInt8(ascii: "\r"), at: 1)
        var expected = lines
        expected[1].insert(UInt8(ascii: "\r"), at: 0)
        let read = throughPipe(input) { allLines($0) }
        XCTAssertEqual(read.map { try? $0.get() }, expected.map(Optional.some))
    }

    func testAnOverlongLineIsDroppedAndReadingGoesOn() {
        let input = Array("short\n".utf8) + [UInt8](repeating: 0x78, count: 300_000) + Array("\nafter\n".utf8)
            + [UInt8](repeating: 0x79, count: 100_001)
        let read = throughPipe(input, maximumLineLength: 100_000) { allLines($0) }
        XCTAssertEqual(read, [.success(Array("short".utf8)), .failure(InputSource.LineTooLong(maximum: 100_000)),
                              .success(Array("after".utf8)), .failure(InputSource.LineTooLong(maximum: 100_000))])
        let exact = throughPipe([UInt8](repeating: 0x7A, count: 100_000), maximumLineLength: 100_000) { $0.nextLine() }
        XCTAssertEqual(try exact?.get().count, 100_000, "a line of the maximum length is read")
    }

    func testALongLineReadsInLinearTime() {
        // Searching the whole line again at every 64 KiB block made 16 MiB
        // take 2 s and this 64 MiB about 30 s; linear it is well under one.
        let length = 64 * 1024 * 1024
        let input = [UInt8](repeating: 0x61, count: length) + [UInt8(ascii: "\n")]
        let started = Date()
        let line = throughPipe(input) { $0.nextLine() }
        XCTAssertEqual(try line?.get().count, length)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }
}
