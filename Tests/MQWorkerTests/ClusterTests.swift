import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// A 3-master Redis Cluster the test builds: stats, dead-letter replay, a
/// worker over queues on several masters, and a slot moved mid-run.
final class ClusterTests: WorkerTestCase {
    func testStatsReplayAndAWorkerAcrossASlotMigration() throws {
        let cluster = try RedisCluster(masters: 3)
        mqctlURL = cluster.url
        let queues = (0..<6).map { "q\($0)" }
        let slots = queues.map { ClusterTestSlot.of("mq:{\($0)}:ready:normal") }
        XCTAssertGreaterThan(Set(try slots.map { try cluster.owner(of: $0).port }).count, 1, "the queues span masters")

        var expected: [String: Int] = [:]
        for (index, queue) in queues.enumerated() {
            let count = index == 0 ? 300 : 40
            let lines = (0..<count).map { "{\"id\":\"\(queue)-\($0)\",\"payload\":\"p\"}" }.joined(separator: "\n") + "\n"
            XCTAssertEqual(try mqctl("enqueue", queue, "--stdin", "--ndjson", "-q", stdin: lines).code, 0)
            expected[queue] = count
        }
        let doctor = try mqctl("doctor", "-o", "ndjson").stdout
        let slotCheck = try XCTUnwrap(doctor.split(separator: "\n").first { $0.contains(#""cluster""#) }, doctor)
        XCTAssertTrue(slotCheck.contains(#""status":"OK""#) && slotCheck.contains("routed by slot"), String(slotCheck))
        let stats = try mqctl("stats", "-o", "ndjson")
        XCTAssertEqual(stats.code, 0)
        for (queue, count) in expected {
            XCTAssertTrue(stats.stdout.contains("{\"queue\":\"\(queue)\",\"layout\":\"native\",\"ready\":\(count),"), stats.stdout)
        }
        XCTAssertEqual(try mqctl("queues", "list", "-o", "json").stdout.components(separatedBy: "\"queue\"").count - 1, 6)

        // Dead letters on one master, replayed.
        let failing = try script("fail.sh", "exit 3\n")
        for id in 0..<10 { try mqctl("enqueue", "dq", "x", "--id", "d\(id)", "--max-attempts", "1") }
        XCTAssertEqual(wait(try startWorker(["dq", "--burst", "--", failing], url: cluster.url)), 0, workerLog())
        XCTAssertEqual(try mqctl("dlq", "replay", "dq", "--all", "--no-lock", "-q").code, 0)
        XCTAssertTrue(try mqctl("stats", "dq", "-o", "json").stdout.contains("\"ready\":10"))

        // Sequence counters on every master, found by one dump.
        let redis = try cluster.nodes[0].connect()
        for name in ["orders", "invoices", "refunds", "users", "carts"] { try redis.send("SET", "seq:\(name)", 7) }
        XCTAssertEqual(try mqctl("seq", "dump", "-o", "ndjson").stdout.split(separator: "\n").count, 5)

        let handler = try pipeHandler()
        let worker = try startWorker(queues + ["--pipe", "--batch", "5", "--lease", "2s", "--", handler], url: cluster.url)
        try eventually("the worker is under way") { self.handled().count >= 20 }
        let source = try cluster.owner(of: slots[0])
        let target = cluster.nodes.first { $0.port != source.port }!
        try cluster.migrate(slot: slots[0], to: target)
        XCTAssertEqual(try cluster.owner(of: slots[0]).port, target.port)
        try eventually(timeout: 90, "every message handled") { Set(self.handled()).count == expected.values.reduce(0, +) }
        // Nothing left behind: a message whose lease ran out during the move
        // may run twice (at least once), but none stays ready or in flight.
        try eventually(timeout: 30, "every queue empty") {
            let rows = try self.mqctl("stats", "-o", "ndjson").stdout.split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            return queues.allSatisfy { queue in
                rows.contains { $0["queue"] as? String == queue && $0["ready"] as? Int == 0 && $0["inflight"] as? Int == 0 }
            }
        }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0, workerLog())
        for (queue, count) in expected {
            XCTAssertEqual(Set(handled().filter { $0.hasPrefix("\(queue)-") }).count, count, queue)
        }
        // Results met with TRYAGAIN while the slot moved were recorded once it
        // had, not given back to run again.
        XCTAssertFalse(workerLog().contains("could not record results"), workerLog())
    }
}

/// The cluster slot of a key, computed here independently of mqctl's
/// router (CRC16-XMODEM of the hash tag).
enum ClusterTestSlot {
    static func of(_ key: String) -> Int {
        var bytes = Array(key.utf8)
        if let open = bytes.firstIndex(of: 123), let close = bytes[(open + 1)...].firstIndex(of: 125), close > open + 1 {
            bytes = Array(bytes[(open + 1)..<close])
        }
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return Int(crc % 16384)
    }
}
