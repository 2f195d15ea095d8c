import Foundation
import MQFormat
import XCTest

final class EnqueueCommandTests: CommandTestCase {
    func testEnqueuePrintsTheIdAndShowFindsIt() throws {
        let result = run("enqueue", "orders", "hello", "--header", "trace=abc", "--priority", "urgent", "--max-attempts", "3")
        XCTAssertEqual(result.code, 0, result.stderr)
        let id = result.stdout.trimmingCharacters(in: .newlines)
        XCTAssertEqual(id.count, 26, result.stdout)
        let shown = try json(run("show", "orders", id, "--json"))
        XCTAssertEqual(shown["id"] as? String, id)
        XCTAssertEqual(shown["state"] as? String, "ready")
        XCTAssertEqual(shown["priority"] as? String, "urgent")
        XCTAssertEqual(shown["max_attempts"] as? Int, 3)
        XCTAssertEqual(shown["payload"] as? String, "hello")
        XCTAssertNil(shown["payload_encoding"])
        XCTAssertEqual(shown["headers"] as? [String: String], ["trace": "abc"])
        XCTAssertTrue((shown["enqueued_at"] as? String)?.hasSuffix("Z") == true)
    }

    func testEnqueueJSONAndDelay() throws {
        let ready = try json(run("enqueue", "orders", "x", "--json", "--id", "my-id"))
        XCTAssertEqual(ready["id"] as? String, "my-id")
        XCTAssertEqual(ready["queue"] as? String, "orders")
        XCTAssertEqual(ready["state"] as? String, "ready")
        XCTAssertEqual(ready["duplicate"] as? Bool, false)
        let delayed = try json(run("enqueue", "orders", "y", "--json", "--delay", "10m"))
        XCTAssertEqual(delayed["state"] as? String, "delayed")
        let at = try json(run("enqueue", "orders", "z", "--json", "--at", "+1h"))
        XCTAssertEqual(at["state"] as? String, "delayed")
        let duplicateId = run("enqueue", "orders", "again", "--id", "my-id")
        XCTAssertEqual(duplicateId.code, 1)
        XCTAssertTrue(duplicateId.stderr.contains("message 'my-id' already exists"), duplicateId.stderr)
    }

    func testAllByteValuesRoundTripThroughFileAndShow() throws {
        let payload = Data((0...255).map { UInt8($0) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-bytes-\(UUID())")
        try payload.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let id = run("enqueue", "orders", "-f", file.path).stdout.trimmingCharacters(in: .newlines)
        let shown = try json(run("show", "orders", id, "-o", "json"))
        XCTAssertEqual(shown["payload_encoding"] as? String, "base64")
        XCTAssertEqual((shown["payload"] as? String).flatMap { Data(base64Encoded: $0) }, payload)
    }

    func testIdempotentEnqueue() throws {
        let first = try json(run("enqueue", "orders", "a", "--idempotency-key", "k", "--json"))
        let second = try json(run("enqueue", "orders", "b", "--idempotency-key", "k", "--json"))
        XCTAssertEqual(second["id"] as? String, first["id"] as? String)
        XCTAssertEqual(second["duplicate"] as? Bool, true)
        XCTAssertEqual(try redis("LLEN", "mq:{orders}:ready:normal").int(), 1)
    }

    func testQueueFullExits75AndWritesNothing() throws {
        XCTAssertEqual(run("queues", "create", "orders", "--max-length", "1").code, 0)
        XCTAssertEqual(run("enqueue", "orders", "a").code, 0)
        let keys = try redis("DBSIZE").int()
        let full = run("enqueue", "orders", "b")
        XCTAssertEqual(full.code, 75)
        XCTAssertTrue(full.stderr.contains("queue 'orders' is full (max_length 1)"), full.stderr)
        XCTAssertEqual(try redis("DBSIZE").int(), keys + 2, "nothing written but the rejected counters (total, minute)")
        XCTAssertEqual(try redis("GET", "mq:{orders}:count:rejected").string(), "1")
    }

    func testInvalidInputExits64() {
        for arguments in [["enqueue", "bad name", "x"], ["enqueue", "a:b", "x"], ["stats", "{x}"], ["show", "orders", "a b"],
                          ["enqueue", "q", "x", "--priority", "high"], ["enqueue", "q", "x", "--header", "novalue"],
                          ["enqueue", "q"], ["enqueue", "q", "x", "--delay", "5"], ["enqueue", "q", "x", "--at", "soon"],
                          ["enqueue", "q", "x", "--delay", "1m", "--at", "+1m"]] {
            let result = mqctl(arguments, environment: environment)
            XCTAssertEqual(result.code, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("mqctl: error: "), result.stderr)
        }
    }

    func testBulkEnqueueFromStdin() throws {
        let lines = (0..<25_000).map { "message \($0)" }.joined(separator: "\n") + "\n"
        let result = try json(run("enqueue", "orders", "--stdin", "--priority", "express", "--json", stdin: lines))
        XCTAssertEqual(result["enqueued"] as? Int, 25_000)
        XCTAssertEqual(result["duplicates"] as? Int, 0)
        XCTAssertEqual(result["rejected"] as? Int, 0)
        XCTAssertEqual(try redis("LLEN", "mq:{orders}:ready:express").int(), 25_000)
        let first = try redis("LINDEX", "mq:{orders}:ready:express", 0).string()
        XCTAssertEqual(try redis("HGET", "mq:{orders}:msg:\(first)", "payload").string(), "message 0")
    }

    func testBulkEnqueueNDJSON() throws {
        let input = """
            {"payload": "plain", "priority": "urgent", "headers": {"h": "v"}}
            {"payload": "AAEC/w==", "payload_encoding": "base64", "id": "bin-1"}
            {"payload": "later", "delay": "5m"}
            {"payload": "once", "idempotency_key": "k"}
            {"payload": "twice", "idempotency_key": "k"}
            not json
            {"payload": 3}

            """
        let result = run("enqueue", "orders", "--stdin", "--ndjson", "--json", stdin: input)
        XCTAssertEqual(result.code, 65, "invalid lines make the exit 65")
        XCTAssertTrue(result.stderr.contains("line 6: not a JSON object"), result.stderr)
        XCTAssertTrue(result.stderr.contains("line 7: \"payload\" must be a string"), result.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["enqueued"] as? Int, 4)
        XCTAssertEqual(summary["duplicates"] as? Int, 1)
        XCTAssertEqual(summary["invalid"] as? Int, 2)
        XCTAssertEqual(try redis("HGET", "mq:{orders}:msg:bin-1", "payload").bytes(), [0, 1, 2, 255])
        XCTAssertEqual(try redis("LLEN", "mq:{orders}:ready:urgent").int(), 1)
        XCTAssertEqual(try redis("ZCARD", "mq:{orders}:delayed").int(), 1)
    }

    func testBulkEnqueueIntoAFullQueueExits75() throws {
        XCTAssertEqual(run("queues", "create", "orders", "--max-length", "3").code, 0)
        let result = run("enqueue", "orders", "--stdin", "--json", stdin: "1\n2\n3\n4\n5\n")
        XCTAssertEqual(result.code, 75)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["enqueued"] as? Int, 3)
        XCTAssertEqual(summary["rejected"] as? Int, 2)
    }

    func testEveryChangeIsAudited() throws {
        _ = run("enqueue", "orders", "a")
        _ = run("enqueue", "orders", "--stdin", stdin: "b\nc\n")
        _ = run("queues", "pause", "orders")
        let entries = try redis("XRANGE", "mq:audit", "-", "+").array()
        XCTAssertEqual(entries.count, 3)
        let fields = try entries[1].array()[1].array().map { try $0.string() }
        XCTAssertEqual(Array(fields[2...5]), ["command", "enqueue", "by", fields[5]])
        XCTAssertTrue(fields[5].contains("@"), "\(fields)")
        XCTAssertEqual(Array(fields[6...9]), ["queue", "orders", "enqueued", "2"])
    }
}
