import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// The operator's tasks on a Go platform's Redis Streams topics: group lag
/// and pending, stuck entries, dead letters replayed to their topic, and
/// alerts (backlog > 1000, delay > 1 minute, any dead message) with exit
/// codes. Everything against a real redis-server.
final class StreamSeedTests: CommandTestCase {
    let orders = "topic:orders"
    let payments = "topic:payments"
    let dead = "topic:orders:dead"

    /// `topic:orders`: 20 entries and two groups. billing has handed 5 to
    /// alice (two of them idle for two minutes, faked with XCLAIM IDLE) and
    /// has 15 to go; shipping has read and acknowledged all 20.
    /// `topic:payments`: one entry. `topic:orders:dead`: two entries
    /// mqctl wrote (naming their source in source_stream), one another
    /// system wrote (naming it in original_topic_name), one naming none.
    @discardableResult
    func seed() throws -> [String] {
        let ids = try (0..<20).map { try redis("XADD", orders, "*", "payload", "order \($0)", "tenant", "acme").string() }
        _ = try redis("XGROUP", "CREATE", orders, "billing", "0")
        _ = try redis("XGROUP", "CREATE", orders, "shipping", "0")
        _ = try redis("XREADGROUP", "GROUP", "billing", "alice", "COUNT", 5, "STREAMS", orders, ">")
        _ = try redis("XCLAIM", orders, "billing", "alice", 0, ids[0], ids[1], "IDLE", 120_000)
        _ = try redis("XREADGROUP", "GROUP", "shipping", "bob", "COUNT", 20, "STREAMS", orders, ">")
        _ = try connect().send(RedisCommand(["XACK", orders, "shipping"] + ids))
        _ = try redis("XADD", payments, "*", "payload", "refund 1")
        try deadEntry(source: orders, reason: "timeout talking to the bank", fields: ["payload", "order 90", "tenant", "acme"])
        // Its own field named consumer is not bookkeeping and stays.
        try deadEntry(source: orders, reason: "bad card", fields: ["payload", "order 91", "tenant", "acme", "consumer", "c-7"])
        _ = try redis("XADD", dead, "*", "original_topic_name", payments, "payload", "refund 2",
                      "failure_reason", "timeout", "retry_count", 3)
        _ = try redis("XADD", dead, "*", "payload", "orphan", "reason", "unknown")
        return ids
    }

    /// A dead entry as `streams dead` and `work --stream` write it.
    func deadEntry(in stream: String? = nil, id: String = "*", source: String, reason: String, fields: [String]) throws {
        let header: [any RedisArgument] = ["source_stream", source, "source_id", "1-1", "group", "billing", "deliveries", 5,
                                           "consumer", "alice", "reason", reason]
        _ = try connect().send(RedisCommand(["XADD", stream ?? dead, id] + header + fields.map { $0 as any RedisArgument }))
    }

    /// Entries as (id, fields as text).
    func entries(_ key: String) throws -> [(id: String, fields: [String])] {
        try redis("XRANGE", key, "-", "+").array().map { entry in
            let parts = try entry.array()
            return (try parts[0].string(), try parts[1].array().map { try $0.string() })
        }
    }

    /// XINFO GROUPS of `stream` for `group`, field by field.
    func groupInfo(_ stream: String, _ group: String) throws -> [String: RedisReply] {
        for info in try redis("XINFO", "GROUPS", stream).array() {
            let items = try info.array()
            var fields: [String: RedisReply] = [:]
            for index in stride(from: 0, to: items.count - 1, by: 2) { fields[try items[index].string()] = items[index + 1] }
            if try fields["name"]?.string() == group { return fields }
        }
        throw FixtureError("no group \(group) on \(stream)")
    }

    func lastAudit() throws -> [String: String] {
        let entry = try XCTUnwrap(try redis("XREVRANGE", "mq:audit", "+", "-", "COUNT", 1).array().first)
        let fields = try entry.array()[1].array().map { try $0.string() }
        return Dictionary(stride(from: 0, to: fields.count - 1, by: 2).map { (fields[$0], fields[$0 + 1]) }) { first, _ in first }
    }

    // MARK: - streams replay

    func testReplayDryRunThenMovesEntriesBackToTheirSource() throws {
        try seed()
        XCTAssertEqual(try groupInfo(orders, "billing")["lag"]?.int(), 15)

        let dry = try json(run("streams", "replay", dead, "--dry-run", "--json"))
        XCTAssertEqual(dry["dry_run"] as? Bool, true)
        XCTAssertEqual(dry["would_move"] as? Int, 3)
        XCTAssertEqual(dry["left"] as? Int, 1)
        XCTAssertEqual(dry["no_source"] as? Int, 1)
        XCTAssertEqual(dry["targets"] as? [String: Int], [orders: 2, payments: 1])
        let listed = try XCTUnwrap(dry["entries"] as? [[String: Any]])
        XCTAssertEqual(listed.map { $0["action"] as? String }, ["move", "move", "move", "leave: no_source"])
        XCTAssertEqual(listed.map { $0["source_field"] as? String }, ["source_stream", "source_stream", "original_topic_name", nil])
        XCTAssertEqual(listed.map { $0["fields"] as? Int }, [2, 3, 3, 2])
        XCTAssertEqual(try redis("XLEN", dead).int(), 4, "a dry run changes nothing")
        XCTAssertEqual(try redis("XLEN", orders).int(), 20)
        XCTAssertEqual(try redis("XLEN", payments).int(), 1)

        let table = run("streams", "replay", dead, "--dry-run")
        XCTAssertEqual(table.code, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("leave: no_source"), table.stdout)
        XCTAssertTrue(table.stdout.contains("would_move") && table.stdout.contains("original_topic_name"), table.stdout)

        let refused = run("streams", "replay", dead)
        XCTAssertEqual(refused.code, 64, "stdin is not a terminal and there is no --yes")
        XCTAssertTrue(refused.stderr.contains("Move 3 entries of 'topic:orders:dead' back to their source streams? Refusing without --yes"),
                      refused.stderr)
        XCTAssertEqual(try redis("XLEN", dead).int(), 4)

        let done = run("streams", "replay", dead, "--strip-field", "failure_reason", "--strip-field", "retry_count", "--yes", "--json")
        let report = try json(done)
        XCTAssertEqual(report["moved"] as? Int, 3)
        XCTAssertEqual(report["left"] as? Int, 1)
        XCTAssertEqual(report["no_source"] as? Int, 1)
        XCTAssertEqual(report["remaining"] as? Int, 1)
        XCTAssertEqual(report["dry_run"] as? Bool, false)
        XCTAssertEqual(report["targets"] as? [String: Int], [orders: 2, payments: 1])
        XCTAssertEqual((report["left_entries"] as? [[String: Any]])?.map { $0["reason"] as? String }, ["no_source"])
        XCTAssertTrue(done.stderr.contains("1 entry was left in 'topic:orders:dead': 1 names no source stream (give --to STREAM"), done.stderr)

        // Gone from the dead stream but for the orphan; on their topics
        // with their own fields and nothing of the bookkeeping.
        XCTAssertEqual(try entries(dead).map(\.fields), [["payload", "orphan", "reason", "unknown"]])
        XCTAssertEqual(try entries(orders).suffix(2).map(\.fields),
                       [["payload", "order 90", "tenant", "acme"], ["payload", "order 91", "tenant", "acme", "consumer", "c-7"]])
        XCTAssertEqual(try entries(payments).map(\.fields), [["payload", "refund 1"], ["payload", "refund 2"]])
        // New entries to every group: billing had 15 to go, shipping none.
        XCTAssertEqual(try groupInfo(orders, "billing")["lag"]?.int(), 17)
        XCTAssertEqual(try groupInfo(orders, "shipping")["lag"]?.int(), 2)

        let audit = try lastAudit()
        XCTAssertEqual(audit["command"], "streams replay")
        XCTAssertEqual(audit["moved"], "3")
        XCTAssertEqual(audit["no_source"], "1")
        XCTAssertEqual(audit["outcome"], "completed")

        let again = try json(run("streams", "replay", dead, "--yes", "--json"))
        XCTAssertEqual(again["moved"] as? Int, 0, "a re-run moves nothing twice")
        XCTAssertEqual(again["left"] as? Int, 1)
        XCTAssertEqual(try redis("XLEN", orders).int(), 22)
    }

    func testReplayFiltersTargetsAndLimit() throws {
        try seed()
        let misc = "dead:misc"
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try deadEntry(in: misc, id: "\(now - 3 * 3_600_000)-0", source: orders, reason: "timeout", fields: ["payload", "old timeout"])
        _ = try redis("XADD", misc, "\(now - 2 * 3_600_000)-0", "topic", "topic:new", "payload", "to a new stream")
        try deadEntry(in: misc, source: orders, reason: "timeout", fields: ["payload", "fresh timeout"])
        try deadEntry(in: misc, source: orders, reason: "bad", fields: ["payload", "fresh bad"])

        let old = try json(run("streams", "replay", misc, "--older-than", "1h", "--dry-run", "--json"))
        XCTAssertEqual((old["entries"] as? [[String: Any]])?.map { $0["action"] as? String }, ["move", "leave: no_target"])
        XCTAssertEqual(old["would_move"] as? Int, 1)
        XCTAssertEqual(old["no_target"] as? Int, 1)
        let created = try json(run("streams", "replay", misc, "--older-than", "1h", "--mkstream", "--dry-run", "--json"))
        XCTAssertEqual(created["would_move"] as? Int, 2)
        XCTAssertEqual(created["targets"] as? [String: Int], [orders: 1, "topic:new": 1])

        // reason=timeout matches two; --limit takes the oldest.
        let limited = try json(run("streams", "replay", misc, "--field-contains", "reason=timeout", "--limit", "1", "--yes", "--json"))
        XCTAssertEqual(limited["moved"] as? Int, 1)
        XCTAssertEqual(limited["remaining"] as? Int, 3)
        XCTAssertEqual(try entries(orders).last?.fields, ["payload", "old timeout"])

        // --to sends them all to one stream, whatever they name.
        let moved = try json(run("streams", "replay", misc, "--payload-contains", "fresh", "--to", payments, "--yes", "--json"))
        XCTAssertEqual(moved["moved"] as? Int, 2)
        XCTAssertEqual(moved["targets"] as? [String: Int], [payments: 2])
        XCTAssertEqual(try entries(payments).suffix(2).map(\.fields), [["payload", "fresh timeout"], ["payload", "fresh bad"]])

        // A source stream that does not exist is not created unless asked.
        let kept = run("streams", "replay", misc, "--yes", "--json")
        XCTAssertEqual(try json(kept)["no_target"] as? Int, 1)
        XCTAssertTrue(kept.stderr.contains("names a stream that does not exist (give --mkstream"), kept.stderr)
        XCTAssertEqual(try redis("EXISTS", "topic:new").int(), 0)
        XCTAssertEqual(try json(run("streams", "replay", misc, "--mkstream", "--yes", "--json"))["moved"] as? Int, 1)
        XCTAssertEqual(try entries("topic:new").map(\.fields), [["payload", "to a new stream"]], "the topic field named the source")
        XCTAssertEqual(try redis("XLEN", misc).int(), 0, "emptied (Redis keeps an empty stream)")

        // Refusals, with nothing changed.
        try deadEntry(in: misc, source: orders, reason: "x", fields: ["payload", "p"])
        let noTarget = run("streams", "replay", misc, "--to", "topic:none", "--yes")
        XCTAssertEqual(noTarget.code, 1)
        XCTAssertEqual(noTarget.stderr, "mqctl: error: stream 'topic:none' does not exist\n")
        _ = try redis("SET", "plain", "x")
        XCTAssertEqual(run("streams", "replay", misc, "--to", "plain", "--yes").code, 65)
        XCTAssertEqual(run("streams", "replay", "dead:nothing", "--yes").code, 1)
        XCTAssertEqual(run("streams", "replay", misc, "--field-contains", "novalue").code, 64)
        XCTAssertEqual(try redis("XLEN", misc).int(), 1)
    }

    /// `streams dead` writes source_stream first; `streams replay` reads it
    /// back and restores each entry's fields exactly.
    func testEntriesKilledByStreamsDeadReplayToTheirStream() throws {
        let ids = try seed()
        let alice = Array(ids.prefix(5))
        for _ in 0..<2 { _ = try connect().send(RedisCommand(["XCLAIM", orders, "billing", "alice", 0] + alice)) }
        let killed = try json(run("streams", "dead", orders, "billing", "--max-deliveries", "3", "--dead-stream", "topic:orders:dlq", "--json"))
        XCTAssertEqual(killed["moved"] as? Int, 5)
        let written = try entries("topic:orders:dlq")
        XCTAssertEqual(written.map { Array($0.fields.prefix(4)) }, Array(repeating: ["source_stream", orders, "source_id"], count: 5).enumerated().map {
            $0.element + [alice[$0.offset]]
        })
        XCTAssertEqual(try groupInfo(orders, "billing")["pending"]?.int(), 0)

        let replayed = try json(run("streams", "replay", "topic:orders:dlq", "--yes", "--json"))
        XCTAssertEqual(replayed["moved"] as? Int, 5)
        XCTAssertEqual(try redis("XLEN", "topic:orders:dlq").int(), 0)
        XCTAssertEqual(try entries(orders).suffix(5).map(\.fields), (0..<5).map { ["payload", "order \($0)", "tenant", "acme"] })
        XCTAssertEqual(try groupInfo(orders, "billing")["lag"]?.int(), 20, "15 never delivered and the 5 replayed")
    }

    /// SIGTERM between batches: the run stops, says how many it moved and
    /// how many are left; a re-run moves the rest, each entry once.
    func testInterruptedReplaySaysMovedAndLeft() throws {
        let connection = try connect()
        _ = try connection.send("XADD", orders, "*", "payload", "first")
        let commands = (0..<3_000).map { RedisCommand("XADD", dead, "*", "source_stream", orders, "source_id", "1-1", "group", "g",
                                                     "deliveries", 1, "consumer", "c", "reason", "r", "payload", "p\($0)") }
        for reply in try connection.pipeline(commands) { try reply.throwingError() }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["streams", "replay", dead, "--rate", "1000", "--yes", "-u", server.url]
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        Thread.sleep(forTimeInterval: 0.8)
        kill(process.processIdentifier, SIGTERM)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, "caught, not fatal")
        XCTAssertEqual(process.terminationStatus, 143)
        let moved = Int(try redis("XLEN", orders).int()) - 1
        let left = Int(try redis("XLEN", dead).int())
        XCTAssertEqual(moved + left, 3_000, "nothing lost, nothing doubled")
        XCTAssertGreaterThan(moved, 0)
        XCTAssertGreaterThan(left, 0, "cut short")
        func grouped(_ number: Int) -> String { number >= 1000 ? "\(number / 1000),\(String(format: "%03d", number % 1000))" : "\(number)" }
        XCTAssertTrue(stderr.contains("moved \(grouped(moved)) of 3,000; \(grouped(left)) left; re-run to continue"), stderr)
        XCTAssertTrue(stderr.contains("interrupted by SIGTERM"), stderr)
        XCTAssertEqual(try lastAudit()["outcome"], "interrupted: SIGTERM")
        XCTAssertEqual(try lastAudit()["moved"], "\(moved)")

        XCTAssertEqual(try json(run("streams", "replay", dead, "--yes", "--json"))["moved"] as? Int, left)
        let payloads = try entries(orders).dropFirst().map { $0.fields[1] }
        XCTAssertEqual(payloads, (0..<3_000).map { "p\($0)" }, "every entry once, in order")
    }

    /// On a cluster the dead stream and the target must share a slot.
    func testReplayOnClusterRefusesKeysInDifferentSlots() throws {
        let cluster = try RedisCluster(masters: 3)
        let environment = ["MQCTL_URL": cluster.url]
        let seedConnection = try RedisConnection(configuration: cluster.nodes[0].configuration())
        defer { seedConnection.close() }
        let deadKey = "{orders}:dead", same = "{orders}", other = "payments"
        XCTAssertNotEqual(try seedConnection.send("CLUSTER", "KEYSLOT", deadKey).int(),
                          try seedConnection.send("CLUSTER", "KEYSLOT", other).int())
        _ = try seedConnection.send("XADD", same, "*", "payload", "first")
        _ = try seedConnection.send("XADD", other, "*", "payload", "first")
        _ = try seedConnection.send("XADD", deadKey, "*", "source_stream", same, "source_id", "1-1", "group", "g", "deliveries", 1,
                                    "consumer", "c", "reason", "r", "payload", "same slot")
        _ = try seedConnection.send("XADD", deadKey, "*", "source_stream", other, "source_id", "1-1", "group", "g", "deliveries", 1,
                                    "consumer", "c", "reason", "r", "payload", "other slot")

        let refused = mqctl(["streams", "replay", deadKey, "--to", other, "--yes"], environment: environment)
        XCTAssertEqual(refused.code, 64)
        XCTAssertTrue(refused.stderr.contains("'{orders}:dead' and 'payments' are in different Redis Cluster slots"), refused.stderr)
        XCTAssertEqual(try seedConnection.send("XLEN", deadKey).int(), 2)

        let result = mqctl(["streams", "replay", deadKey, "--yes", "--json"], environment: environment)
        let report = try json(result)
        XCTAssertEqual(report["moved"] as? Int, 1)
        XCTAssertEqual(report["cross_slot"] as? Int, 1)
        XCTAssertTrue(result.stderr.contains("names a stream in another cluster slot"), result.stderr)
        XCTAssertEqual(try seedConnection.send("XRANGE", same, "-", "+").array().count, 2)
        XCTAssertEqual(try seedConnection.send("XLEN", other).int(), 1)
        XCTAssertEqual(try seedConnection.send("XLEN", deadKey).int(), 1, "the other slot's entry stays")
    }

    // MARK: - streams group create

    func testGroupCreateFromZeroAndDollar() throws {
        let ids = try seed()
        let all = try json(run("streams", "group", "create", orders, "audit", "--from", "0", "--json"))
        XCTAssertEqual(all["created"] as? Bool, true)
        XCTAssertEqual(all["last_delivered_id"] as? String, "0-0")
        XCTAssertEqual(all["lag"] as? Int, 20)
        XCTAssertEqual(try groupInfo(orders, "audit")["lag"]?.int(), 20)
        XCTAssertEqual(try lastAudit()["command"], "streams group create")

        let fresh = try json(run("streams", "group", "create", orders, "fresh", "--json"))
        XCTAssertEqual(fresh["from"] as? String, "$")
        XCTAssertEqual(fresh["last_delivered_id"] as? String, ids.last)
        XCTAssertEqual(fresh["lag"] as? Int, 0)

        let middle = try json(run("streams", "group", "create", orders, "middle", "--from", ids[9], "--json"))
        XCTAssertEqual(middle["lag"] as? Int, 10)
        XCTAssertEqual(try redis("XINFO", "GROUPS", orders).array().count, 5)

        let busy = run("streams", "group", "create", orders, "audit", "--from", "$")
        XCTAssertEqual(busy.code, 1)
        XCTAssertEqual(busy.stderr, "mqctl: error: group 'audit' already exists on stream 'topic:orders' (BUSYGROUP); nothing was changed\n")
        XCTAssertEqual(try groupInfo(orders, "audit")["last-delivered-id"]?.string(), "0-0", "left as it was")

        let missing = run("streams", "group", "create", "topic:none", "g")
        XCTAssertEqual(missing.code, 1)
        XCTAssertTrue(missing.stderr.contains("stream 'topic:none' does not exist; give --mkstream"), missing.stderr)
        XCTAssertEqual(try redis("EXISTS", "topic:none").int(), 0)
        let made = try json(run("streams", "group", "create", "topic:none", "g", "--mkstream", "--json"))
        XCTAssertEqual(made["lag"] as? Int, 0)
        XCTAssertEqual(try redis("TYPE", "topic:none").string(), "stream")
        XCTAssertEqual(try redis("XLEN", "topic:none").int(), 0)

        XCTAssertEqual(run("streams", "group", "create", orders, "bad", "--from", "yesterday").code, 64)
        _ = try redis("SET", "plain", "x")
        XCTAssertEqual(run("streams", "group", "create", "plain", "g", "--mkstream").code, 65)
    }

    // MARK: - lag when Redis reports none

    func testLagAfterXDELIsCountedAndMarked() throws {
        let ids = try seed()
        _ = try redis("XDEL", orders, ids[12])
        XCTAssertTrue(try groupInfo(orders, "billing")["lag"]?.isNull == true, "Redis reports no lag after the XDEL")

        let groups = try XCTUnwrap(try json(run("streams", "groups", orders, "--json"))["groups"] as? [[String: Any]])
        let billing = try XCTUnwrap(groups.first { $0["name"] as? String == "billing" })
        XCTAssertEqual(billing["lag"] as? Int, 14)
        XCTAssertEqual(billing["lag_estimated"] as? Bool, true)
        XCTAssertEqual(billing["lag_source"] as? String, "counted")
        XCTAssertEqual(billing["pending"] as? Int, 5)
        let shipping = try XCTUnwrap(groups.first { $0["name"] as? String == "shipping" })
        XCTAssertEqual(shipping["lag"] as? Int, 0)
        XCTAssertEqual(shipping["lag_estimated"] as? Bool, false)
        XCTAssertEqual(shipping["lag_source"] as? String, "redis")

        let table = run("streams", "groups", orders)
        let row = try XCTUnwrap(table.stdout.split(separator: "\n").first { $0.hasPrefix("billing") })
        XCTAssertEqual(row.split(separator: " ", omittingEmptySubsequences: true)[3], "~14", table.stdout)

        let list = try XCTUnwrap(try json(run("streams", "list", "--pattern", "topic:orders", "--json"))["streams"] as? [[String: Any]])
        XCTAssertEqual(list.count, 1)
        XCTAssertEqual(list[0]["max_lag"] as? Int, 14)
        XCTAssertEqual(list[0]["lag_estimated"] as? Bool, true)
        XCTAssertEqual(list[0]["pending"] as? Int, 5)
        XCTAssertEqual(list[0]["length"] as? Int, 19)
        XCTAssertEqual(list[0]["entries_added"] as? Int, 20)
        let listTable = run("streams", "list", "--pattern", "topic:*")
        XCTAssertTrue(listTable.stdout.contains("MAX_LAG"), listTable.stdout)
        let ordersRow = try XCTUnwrap(listTable.stdout.split(separator: "\n").first { $0.hasPrefix("topic:orders ") })
        XCTAssertEqual(ordersRow.split(separator: " ")[4], "~14", listTable.stdout)
    }

    /// Past 10,000 the count stops and says "at least"; a check whose
    /// threshold is higher counts far enough to judge it.
    func testCountedLagStopsAtItsCap() throws {
        let connection = try connect()
        let ids = try connection.pipeline((0..<10_050).map { RedisCommand("XADD", "topic:big", "*", "n", $0) }).map { try $0.string() }
        _ = try connection.send("XGROUP", "CREATE", "topic:big", "reader", "0")
        _ = try connection.send("XDEL", "topic:big", ids[5])
        let groups = try XCTUnwrap(try json(run("streams", "groups", "topic:big", "--json"))["groups"] as? [[String: Any]])
        XCTAssertEqual(groups[0]["lag"] as? Int, 10_000)
        XCTAssertEqual(groups[0]["lag_source"] as? String, "counted_capped")
        XCTAssertTrue(run("streams", "groups", "topic:big").stdout.contains(">=10000"))

        let check = run("check", "--stream", "topic:big", "--max-lag", "20000")
        XCTAssertEqual(check.code, 0, check.stdout)
        XCTAssertEqual(check.stdout, "MQCTL OK - topic:big: 1 group within limits | topic:big/reader_lag=10049;;20000 topic:big/reader_pending_age=0s;;\n")
        let over = run("check", "--stream", "topic:big", "--max-lag", "1000")
        XCTAssertEqual(over.code, 2)
        XCTAssertTrue(over.stdout.hasPrefix("MQCTL CRITICAL - topic:big/reader lag >=10000 > 1000 |"), over.stdout)
    }

    // MARK: - check --stream

    func testCheckStreamOKWarningCritical() throws {
        try seed()
        let ok = run("check", "--stream", orders, "--group", "billing", "--max-lag", "1000", "--max-pending-age", "10m",
                     "--dead-stream", dead, "--max-dead", "10")
        XCTAssertEqual(ok.code, 0, ok.stdout + ok.stderr)
        let okPattern = #"^MQCTL OK - topic:orders: 1 group within limits \| topic:orders/billing_lag=15;;1000 topic:orders/billing_pending_age=12\d(\.\d)?s;;600 topic:orders:dead_dead=4;;10\n$"#
        XCTAssertNotNil(ok.stdout.range(of: okPattern, options: .regularExpression), ok.stdout)

        let lagWarning = run("check", "--stream", orders, "--group", "billing", "--warn-lag", "10", "--max-lag", "1000")
        XCTAssertEqual(lagWarning.code, 1)
        XCTAssertTrue(lagWarning.stdout.hasPrefix("MQCTL WARNING - topic:orders/billing lag 15 > 10 | topic:orders/billing_lag=15;10;1000 "),
                      lagWarning.stdout)
        let lagCritical = run("check", "--stream", orders, "--max-lag", "14")
        XCTAssertEqual(lagCritical.code, 2)
        XCTAssertTrue(lagCritical.stdout.hasPrefix("MQCTL CRITICAL - topic:orders/billing lag 15 > 14 |"), lagCritical.stdout)
        XCTAssertTrue(lagCritical.stdout.contains("topic:orders/shipping_lag=0;;14"), "every group when none is named: \(lagCritical.stdout)")

        let ageCritical = run("check", "--stream", orders, "--group", "billing", "--max-pending-age", "1m")
        XCTAssertEqual(ageCritical.code, 2)
        XCTAssertNotNil(ageCritical.stdout.range(of: #"^MQCTL CRITICAL - topic:orders/billing pending_age 12\ds > 60s \|"#, options: .regularExpression),
                        ageCritical.stdout)
        let ageWarning = run("check", "--stream", orders, "--group", "billing", "--warn-pending-age", "1m", "--max-pending-age", "10m")
        XCTAssertEqual(ageWarning.code, 1)
        XCTAssertTrue(ageWarning.stdout.contains("pending_age"), ageWarning.stdout)
        // shipping has nothing pending: its age is 0 and within limits.
        XCTAssertEqual(run("check", "--stream", orders, "--group", "shipping", "--max-pending-age", "1s").code, 0)

        let deadCritical = run("check", "--stream", orders, "--dead-stream", dead, "--max-dead", "0")
        XCTAssertEqual(deadCritical.code, 2)
        XCTAssertTrue(deadCritical.stdout.hasPrefix("MQCTL CRITICAL - topic:orders:dead dead 4 > 0 |"), deadCritical.stdout)
        let deadWarning = run("check", "--stream", orders, "--dead-stream", dead, "--warn-dead", "3", "--max-dead", "10")
        XCTAssertEqual(deadWarning.code, 1)
        XCTAssertTrue(deadWarning.stdout.hasPrefix("MQCTL WARNING - topic:orders:dead dead 4 > 3 |"), deadWarning.stdout)
        // A dead stream that does not exist yet holds nothing.
        let noDead = run("check", "--stream", orders, "--dead-stream", "topic:orders:none", "--max-dead", "0")
        XCTAssertEqual(noDead.code, 0, noDead.stdout)
        XCTAssertTrue(noDead.stdout.contains("topic:orders:none_dead=0;;0"), noDead.stdout)

        // The operator's three alerts at once: backlog > 1000, delay > 1 minute, any dead message.
        let alerts = run("check", "--stream", orders, "--max-lag", "1000", "--max-pending-age", "1m", "--dead-stream", dead, "--max-dead", "0")
        XCTAssertEqual(alerts.code, 2)
        XCTAssertTrue(alerts.stdout.contains("pending_age") && alerts.stdout.contains("topic:orders:dead dead 4 > 0"), alerts.stdout)
    }

    /// An entry idle past the threshold is found even when the oldest
    /// pending entry was just delivered again.
    func testCheckSeesAStuckEntryBehindAFreshOldestOne() throws {
        let ids = try seed()
        _ = try redis("XCLAIM", orders, "billing", "alice", 0, ids[0])
        let groups = try XCTUnwrap(try json(run("streams", "groups", orders, "--json"))["groups"] as? [[String: Any]])
        let oldest = try XCTUnwrap(groups.first { $0["name"] as? String == "billing" }?["oldest_pending_idle_seconds"] as? Double)
        XCTAssertLessThan(oldest, 5, "the oldest entry was just delivered again")
        let check = run("check", "--stream", orders, "--group", "billing", "--max-pending-age", "1m")
        XCTAssertEqual(check.code, 2, check.stdout)
        XCTAssertNotNil(check.stdout.range(of: #"pending_age 12\ds > 60s"#, options: .regularExpression), check.stdout)
    }

    func testCheckStreamUnknown() throws {
        try seed()
        let noStream = run("check", "--stream", "topic:none", "--max-lag", "10")
        XCTAssertEqual(noStream.code, 3)
        XCTAssertEqual(noStream.stdout, "MQCTL UNKNOWN - stream 'topic:none' does not exist\n")
        let noGroup = run("check", "--stream", orders, "--group", "nobody", "--max-lag", "10")
        XCTAssertEqual(noGroup.code, 3)
        XCTAssertEqual(noGroup.stdout, "MQCTL UNKNOWN - stream 'topic:orders' has no group 'nobody'\n")
        let noGroups = run("check", "--stream", payments, "--max-lag", "10")
        XCTAssertEqual(noGroups.code, 3)
        XCTAssertEqual(noGroups.stdout, "MQCTL UNKNOWN - stream 'topic:payments' has no consumer groups\n")
        _ = try redis("SET", "plain", "x")
        let notStream = run("check", "--stream", "plain")
        XCTAssertEqual(notStream.code, 3)
        XCTAssertEqual(notStream.stdout, "MQCTL UNKNOWN - key 'plain' is a string, not a stream\n")
        let badDead = run("check", "--stream", orders, "--dead-stream", "plain", "--max-dead", "0")
        XCTAssertEqual(badDead.code, 3)

        let unreachable = mqctl(["check", "--stream", orders, "--max-lag", "10", "--timeout", "1s"],
                                environment: ["MQCTL_URL": "redis://127.0.0.1:1/0"])
        XCTAssertEqual(unreachable.code, 3)
        XCTAssertTrue(unreachable.stdout.hasPrefix("MQCTL UNKNOWN - "), unreachable.stdout)

        XCTAssertEqual(run("check", "--stream", orders, "--max-dead", "0").code, 64, "--max-dead needs --dead-stream")
        XCTAssertEqual(run("check", "--max-lag", "5").code, 64, "--max-lag needs --stream")
        XCTAssertEqual(run("check", "--stream", orders, "--max-ready", "5").code, 64)
    }

    // MARK: - streams list --watch

    func testListWatchShowsAddDeliverAndAckRates() throws {
        try seed()
        let connection = try connect()
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["streams", "list", "--pattern", "topic:orders", "--watch", "--interval", "400ms", "-u", server.url]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.6)
        // Between two draws: 40 added; shipping is handed 30 and acks 20.
        let added = try connection.pipeline((0..<40).map { RedisCommand("XADD", orders, "*", "payload", "more \($0)") }).map { try $0.string() }
        _ = try connection.send("XREADGROUP", "GROUP", "shipping", "bob", "COUNT", 30, "STREAMS", orders, ">")
        _ = try connection.send(RedisCommand(["XACK", orders, "shipping"] + added.prefix(20)))
        Thread.sleep(forTimeInterval: 1.3)
        process.interrupt()
        process.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertFalse(text.contains("\u{1B}"), "no escape codes into a pipe")
        let frames = text.components(separatedBy: "mqctl streams list ").filter { !$0.isEmpty }
        XCTAssertGreaterThanOrEqual(frames.count, 3, text)
        /// The cells of the first line whose first cells are `leading`.
        func cells(_ frame: String, _ leading: String...) -> [String]? {
            frame.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
                .first { $0.count > leading.count && Array($0.prefix(leading.count)) == leading }
        }
        let header = try XCTUnwrap(cells(frames[0], "STREAM", "LENGTH"))
        XCTAssertEqual(header.last, "ADDED_PER_S", "\(header)")
        XCTAssertEqual(try XCTUnwrap(cells(frames[0], "STREAM", "GROUP")).suffix(2), ["DELIVERED_PER_S", "ACKED_PER_S"])
        XCTAssertEqual(cells(frames[0], "topic:orders", "shipping")?.suffix(2), ["-", "-"], "no rates on the first draw")

        // The frame that saw the change: 40 added, 30 delivered, 20 acked
        // within one interval of about 0.4 s.
        let rates = frames.compactMap { frame -> (added: Double, delivered: Double, acked: Double)? in
            guard let stream = cells(frame, "topic:orders"), let group = cells(frame, "topic:orders", "shipping"),
                  let added = Double(stream.last!), let delivered = Double(group[group.count - 2]), let acked = Double(group.last!),
                  added > 0 else { return nil }
            return (added, delivered, acked)
        }
        let seen = try XCTUnwrap(rates.first, text)
        XCTAssertEqual(seen.delivered / seen.added, 0.75, accuracy: 0.01, "\(seen)")
        XCTAssertEqual(seen.acked / seen.added, 0.5, accuracy: 0.01, "\(seen)")
        XCTAssertGreaterThan(seen.added, 40 / 2.0, "40 entries within an interval of about 0.4s")
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
    }
}
