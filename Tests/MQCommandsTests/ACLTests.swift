import Foundation
import MQTestSupport
import XCTest

/// The least-privilege users the README gives, on a server of their own.
final class ACLTests: XCTestCase {
    static let reader = "%R~* &mq:* -@all +@read +@connection +info +subscribe"
    static let worker = "~mq:* &mq:* -@all +@read +@write +@list +@sortedset +@hash +@string +@stream +@pubsub +@connection +@scripting +info +client|setname"

    /// `redis://opsuser@host` names the user, as the help documents it;
    /// the password comes from the environment.
    func testALoneUserInfoIsTheUserName() throws {
        let server = try RedisServer(.init(aclUser: (name: "opsuser", password: "pw", permissions: Self.reader)))
        let result = mqctl(["ping", "-u", "redis://opsuser@127.0.0.1:\(server.port)/0"], environment: ["MQCTL_PASSWORD": "pw"])
        XCTAssertEqual(result.code, 0, result.stderr)
    }

    func testReadOnlyOperator() throws {
        let server = try RedisServer(.init(aclUser: (name: "mq-reader", password: "rpw", permissions: Self.reader)))
        let admin = ["MQCTL_URL": server.url]
        XCTAssertEqual(mqctl(["enqueue", "orders", "hi"], environment: admin).code, 0)
        let reader = ["MQCTL_URL": server.url, "MQCTL_PASSWORD": "rpw"]
        for command in [["stats"], ["peek", "orders"], ["dlq", "list", "orders"], ["seq", "dump"], ["depth", "mq:*"],
                        ["streams", "list"], ["workers"], ["check", "--max-ready", "1000"], ["show", "orders", "nope"]] {
            let result = mqctl(command + ["-q", "--user", "mq-reader"], environment: reader)
            XCTAssertTrue([0, 1].contains(result.code), "\(command): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("NOPERM"), "\(command): \(result.stderr)")
        }
        let doctor = mqctl(["doctor", "--json", "--user", "mq-reader"], environment: reader)
        XCTAssertTrue(doctor.stdout.contains("\"status\":\"UNKNOWN\""), "CONFIG refused is UNKNOWN: \(doctor.stdout)")
        let write = mqctl(["enqueue", "orders", "x", "--user", "mq-reader"], environment: reader)
        XCTAssertEqual(write.code, 77)
        XCTAssertTrue(write.stderr.contains("NOPERM"), write.stderr)
    }

    func testWorkerUser() throws {
        let server = try RedisServer(.init(aclUser: (name: "mq-worker", password: "wpw", permissions: Self.worker)))
        XCTAssertEqual(mqctl(["enqueue", "orders", "--stdin", "-q"], environment: ["MQCTL_URL": server.url], stdin: Array("a\nb\nc\n".utf8)).code, 0)
        let result = try mqctlProcess(["work", "orders", "--user", "mq-worker", "--burst", "--", "/bin/sh", "-c", "cat > /dev/null"],
                                      environment: ["MQCTL_URL": server.url, "MQCTL_PASSWORD": "wpw"])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertFalse(result.stderr.contains("NOPERM"), result.stderr)
        let stats = mqctl(["stats", "--json"], environment: ["MQCTL_URL": server.url])
        XCTAssertTrue(stats.stdout.contains("\"processed\":3"), stats.stdout)
    }
}
