import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// Servers of their own: password, ACL user, Unix socket, restarts.
final class AuthAndTransportTests: XCTestCase {
    func testPasswordAuth() throws {
        let server = try RedisServer(.init(password: "s3cret"))
        XCTAssertEqual(try server.connect().send("PING"), .status("PONG"))

        var wrong = server.configuration(password: "nope")
        XCTAssertThrowsError(try RedisConnection(configuration: wrong)) { error in
            XCTAssertTrue((error as? RedisServerError)?.isPermissionError == true, "\(error)")
            XCTAssertFalse("\(error)".contains("nope"))
        }
        wrong.password = nil
        XCTAssertThrowsError(try RedisConnection(configuration: wrong).send("GET", "k")) { error in
            XCTAssertEqual((error as? RedisServerError)?.kind, .noAuth, "\(error)")
        }
    }

    func testACLUserAuth() throws {
        let server = try RedisServer(.init(aclUser: (name: "worker", password: "w0rk", permissions: "~mq:* +@all -client")))
        var config = server.configuration()
        config.username = "worker"
        config.password = "w0rk"
        // CLIENT SETNAME is refused to this user; the connection still opens.
        let redis = try RedisConnection(configuration: config)
        XCTAssertEqual(try redis.send("SET", "mq:x", "1"), .status("OK"))
        XCTAssertThrowsError(try redis.send("SET", "other", "1")) { error in
            XCTAssertEqual((error as? RedisServerError)?.kind, .noPerm, "\(error)")
        }
        config.password = "bad"
        XCTAssertThrowsError(try RedisConnection(configuration: config)) { error in
            XCTAssertEqual((error as? RedisServerError)?.kind, .wrongPass, "\(error)")
        }
    }

    func testUnixSocket() throws {
        let server = try RedisServer(.init(unixSocket: true))
        let redis = try RedisConnection(configuration: RedisConfiguration(endpoint: .unix(path: server.socketPath), database: 2))
        try redis.send("SET", "via-socket", "1")
        XCTAssertEqual(try server.connect().send("SELECT", 2), .status("OK"))
        let tcp = try RedisConnection(configuration: server.configuration(database: 2))
        XCTAssertEqual(try tcp.send("GET", "via-socket").string(), "1")

        XCTAssertThrowsError(try RedisConnection(configuration: RedisConfiguration(endpoint: .unix(path: server.socketPath + ".absent")))) { error in
            XCTAssertEqual(error as? RedisClientError, .connectionRefused(endpoint: server.socketPath + ".absent"))
        }
    }

    func testWithReconnectWaitsForTheServerToComeBack() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        server.stop()
        let restarted = expectation(description: "server restarted")
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) {
            do { try server.start() } catch { XCTFail("restart failed: \(error)") }
            restarted.fulfill()
        }
        var retries: [Int] = []
        let reply = try redis.withReconnect(ReconnectPolicy(initialDelay: 0.05, maximumDelay: 0.2, maximumAttempts: 100), onRetry: { error, attempt, _ in
            XCTAssertTrue((error as? RedisClientError)?.isConnectionError == true)
            retries.append(attempt)
        }) { try $0.send("PING") }
        XCTAssertEqual(reply, .status("PONG"))
        XCTAssertGreaterThan(retries.count, 0)
        XCTAssertEqual(retries, Array(1...retries.count))
        wait(for: [restarted], timeout: 10)
    }

    func testWithReconnectGivesUpAfterItsAttempts() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        server.stop()
        var attempts = 0
        XCTAssertThrowsError(try redis.withReconnect(ReconnectPolicy(initialDelay: 0.01, maximumDelay: 0.01, maximumAttempts: 3), onRetry: { _, _, _ in attempts += 1 }) { try $0.send("PING") }) { error in
            XCTAssertEqual(error as? RedisClientError, .connectionRefused(endpoint: "127.0.0.1:\(server.port)"))
        }
        XCTAssertEqual(attempts, 3)
    }

    func testBackoffDoublesUpToItsCap() {
        let policy = ReconnectPolicy(initialDelay: 0.1, maximumDelay: 1)
        XCTAssertEqual((1...6).map { policy.delay(beforeAttempt: $0) }, [0.1, 0.2, 0.4, 0.8, 1, 1])
    }
}
