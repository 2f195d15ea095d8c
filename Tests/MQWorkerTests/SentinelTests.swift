import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// A master, a replica and a sentinel the test starts; mqctl finds the
/// master through the sentinel and follows it across a failover.
final class SentinelTests: WorkerTestCase {
    func testAFailoverDuringAWorkerRunLosesNothingThatWasReplicated() throws {
        let master = try RedisServer(.init(appendOnly: true))
        let replica = try RedisServer(.init(appendOnly: true, replicaOf: master.port))
        try eventually("the replica is in sync") {
            try replica.connect().send("INFO", "replication").string().contains("master_link_status:up")
        }
        let sentinelServer = try RedisServer(.init(sentinel: ("orders-master", master.port)))
        let sentinel = try sentinelServer.connect()
        try eventually("the sentinel sees the replica") {
            try !sentinel.send("SENTINEL", "REPLICAS", "orders-master").array().isEmpty
        }
        // The first sentinel named is down: the next one is asked.
        mqctlURL = "redis-sentinel://127.0.0.1:1,127.0.0.1:\(sentinelServer.port)/orders-master"

        let total = 1_500
        XCTAssertEqual(try mqctl("enqueue", "orders", "--stdin", "-q",
                                 stdin: (0..<total).map { "job \($0)" }.joined(separator: "\n") + "\n").code, 0)
        // Acknowledged after replication: the replica has every message.
        XCTAssertEqual(try master.connect().send("WAIT", 1, 5000).int(), 1)
        XCTAssertEqual(try replica.connect().send("LLEN", "mq:{orders}:ready:normal").int(), Int64(total))

        let handler = try pipeHandler()
        let worker = try startWorker(["orders", "--pipe", "--batch", "10", "--lease", "2s", "--", handler], url: mqctlURL)
        try eventually("the worker is under way") { self.handled().count >= 300 }
        XCTAssertEqual(try sentinel.send("SENTINEL", "FAILOVER", "orders-master"), .status("OK"))
        try eventually(timeout: 30, "the replica is promoted") {
            try sentinel.send("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "orders-master").array().last?.string() == String(replica.port)
        }
        let ids = try replica.connect().send("LRANGE", "mq:{orders}:ready:normal", 0, -1).array().map { try $0.string() }
        try eventually(timeout: 90, "every message handled on the new master") {
            let waiting = try ["ready:normal", "inflight", "retry"].reduce(Int64(0)) { sum, key in
                let command = key.hasPrefix("ready") ? "LLEN" : "ZCARD"
                return sum + (try replica.connect().send(command, "mq:{orders}:\(key)").int())
            }
            return waiting == 0
        }
        let clients = try replica.connect().send("CLIENT", "LIST").string().split(separator: "\n")
        XCTAssertTrue(clients.contains { $0.contains("name=mqctl ") && !$0.contains("cmd=client|list") },
                      "the worker is connected to the new master: \(clients)")
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0, workerLog())
        XCTAssertEqual(Set(handled()).count, total, "every message handled at least once; none lost")
        XCTAssertTrue(Set(ids).isSubset(of: Set(handled())))

        // One-shot commands find the new master too.
        let stats = try mqctl("stats", "orders", "-o", "json")
        XCTAssertEqual(stats.code, 0)
        XCTAssertTrue(stats.stdout.contains("\"ready\":0"), stats.stdout)
    }
}
