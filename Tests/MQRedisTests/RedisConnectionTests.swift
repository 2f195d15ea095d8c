import Foundation
import MQRedis
import MQTestSupport
import XCTest

final class RedisConnectionTests: RedisTestCase {
    func testCommandsAndRepliesOfEveryType() throws {
        let redis = try connect()
        XCTAssertEqual(try redis.send("PING"), .status("PONG"))
        XCTAssertEqual(try redis.send("SET", "k", "v"), .status("OK"))
        XCTAssertEqual(try redis.send("GET", "k"), .bulk(Array("v".utf8)))
        XCTAssertEqual(try redis.send("GET", "missing"), .null)
        XCTAssertEqual(try redis.send("RPUSH", "l", "a", "b"), .integer(2))
        XCTAssertEqual(try redis.send("LRANGE", "l", 0, -1), .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
        XCTAssertEqual(try redis.send("GET", "k").string(), "v")
    }

    func testEveryByteValueRoundTrips() throws {
        let redis = try connect()
        let bytes = (0...255).map { UInt8($0) } + [0, 13, 10, 0]
        try redis.send("SET", bytes, bytes)
        XCTAssertEqual(try redis.send("GET", bytes).bytes(), bytes)
        XCTAssertEqual(try redis.send("SET", "empty", [UInt8]()), .status("OK"))
        XCTAssertEqual(try redis.send("GET", "empty"), .bulk([]))
    }

    func testTenThousandPipelinedCommandsInOneRoundTrip() throws {
        let redis = try connect()
        let before = redis.roundTrips
        let replies = try redis.pipeline((0..<10_000).map { _ in RedisCommand("INCR", "counter") })
        XCTAssertEqual(redis.roundTrips - before, 1)
        XCTAssertEqual(replies, (1...10_000).map { .integer(Int64($0)) })
    }

    func testPipelineKeepsEachErrorInPlace() throws {
        let redis = try connect()
        try redis.send("SET", "s", "text")
        let replies = try redis.pipeline([RedisCommand("INCR", "n"), RedisCommand("LPUSH", "s", "x"), RedisCommand("INCR", "n")])
        XCTAssertEqual(replies[0], .integer(1))
        guard case .error(let error) = replies[1] else { return XCTFail("expected an error, got \(replies[1])") }
        XCTAssertEqual(error.kind, .wrongType)
        XCTAssertEqual(error.keys, ["s"], "a wrong-type error names its command's key")
        XCTAssertEqual(replies[2], .integer(2))
    }

    /// Commands are built as RESP directly: each length must match its bytes.
    func testArgumentsOfEveryShapeArriveByteForByte() throws {
        let redis = try connect()
        let big = [UInt8]((0..<70_000).map { UInt8($0 % 256) })
        let cases: [(any RedisArgument, [UInt8])] = [
            ("", []), ("é✓", Array("é✓".utf8)), (Substring("a substring").dropFirst(2), Array("substring".utf8)),
            (Int64.min, Array("-9223372036854775808".utf8)), (Int.max, Array("9223372036854775807".utf8)),
            (-1, Array("-1".utf8)), (0, Array("0".utf8)), (10, Array("10".utf8)), (big, big),
        ]
        for (argument, expected) in cases {
            try redis.send(RedisCommand(["SET", "k", argument]))
            XCTAssertEqual(try redis.send("GET", "k").bytes(), expected, "\(argument)")
        }
        var built = RedisCommand("HSET", "h")
        built.append("f")
        built.append(big)
        XCTAssertEqual(built.name, "HSET")
        XCTAssertEqual(built.arguments, [Array("HSET".utf8), Array("h".utf8), Array("f".utf8), big])
        try redis.send(built)
        XCTAssertEqual(try redis.send("HGET", "h", "f").bytes(), big)
    }

    func testSubmittedCommandsAnswerInOrderWhileMoreAreWritten() throws {
        let redis = try connect()
        try redis.send("SET", "s", "text")
        var push = RedisCommand("RPUSH", "l")
        for value in 0..<3 { push.append(value) }
        try redis.submit(push)
        try redis.submit(RedisCommand("LPUSH", "s", "x"))
        XCTAssertEqual(redis.repliesOwed, 2)
        XCTAssertEqual(try redis.nextReply(), .integer(3))
        try redis.submit(RedisCommand("LRANGE", "l", 0, -1))
        guard case .error(let error) = try redis.nextReply() else { return XCTFail("expected the wrong-type error") }
        XCTAssertEqual(error.keys, ["s"], "an error reply still names its command's key")
        XCTAssertEqual(try redis.nextReply().array().map { try $0.string() }, ["0", "1", "2"])
        XCTAssertEqual(redis.repliesOwed, 0)
        XCTAssertEqual(try redis.send("LLEN", "l"), .integer(3), "synchronous calls work again once nothing is owed")
    }

    func testWrongTypeInAScriptNamesTheScriptsKeys() throws {
        let redis = try connect()
        try redis.send("SET", "s", "text")
        let script = RedisScript("return redis.call('LPUSH', KEYS[2], ARGV[1])")
        XCTAssertThrowsError(try redis.run(script, keys: ["a", "s"], arguments: ["x"])) { error in
            XCTAssertEqual((error as? RedisServerError)?.kind, .wrongType, "\(error)")
            XCTAssertEqual((error as? RedisServerError)?.keys, ["a", "s"])
        }
    }

    func testServerErrorKeepsItsTextAndKind() throws {
        let redis = try connect()
        try redis.send("SET", "s", "text")
        XCTAssertThrowsError(try redis.send("LPUSH", "s", "x")) { error in
            let serverError = error as? RedisServerError
            XCTAssertEqual(serverError?.kind, .wrongType)
            XCTAssertEqual(serverError?.message, "WRONGTYPE Operation against a key holding the wrong kind of value")
        }
        XCTAssertThrowsError(try redis.send("NOSUCHCOMMAND")) { error in
            XCTAssertEqual((error as? RedisServerError)?.kind, .generic)
            XCTAssertTrue("\(error)".contains("unknown command"), "\(error)")
        }
        // The connection is still usable after server errors.
        XCTAssertEqual(try redis.send("PING"), .status("PONG"))
    }

    func testServerErrorKinds() {
        let cases: [(String, RedisServerError.Kind)] = [
            ("NOSCRIPT No matching script", .noScript), ("BUSY Redis is busy running a script", .busy),
            ("LOADING Redis is loading the dataset in memory", .loading), ("NOAUTH Authentication required.", .noAuth),
            ("WRONGPASS invalid username-password pair", .wrongPass), ("NOPERM this user has no permissions", .noPerm),
            ("MOVED 3999 127.0.0.1:6381", .moved), ("ASK 3999 127.0.0.1:6381", .ask), ("ERR syntax error", .generic),
            ("WEIRD thing", .other),
        ]
        for (message, kind) in cases {
            XCTAssertEqual(RedisServerError(message: message).kind, kind, message)
        }
        XCTAssertTrue(RedisServerError(message: "BUSY x").isTemporary)
        XCTAssertTrue(RedisServerError(message: "NOPERM x").isPermissionError)
        XCTAssertFalse(RedisServerError(message: "ERR x").isTemporary)
    }

    func testSelectsTheDatabaseAndNamesTheClient() throws {
        let redis = try connect(database: 3)
        try redis.send("SET", "in-three", "1")
        XCTAssertEqual(try connect(database: 0).send("EXISTS", "in-three"), .integer(0))
        XCTAssertEqual(try connect(database: 3).send("EXISTS", "in-three"), .integer(1))
        XCTAssertEqual(try redis.send("CLIENT", "GETNAME").string(), "mqctl")
    }

    func testConnectionRefusedOnAClosedPort() throws {
        let port = try RedisServer.freePort()
        XCTAssertThrowsError(try RedisConnection(configuration: RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port)))) { error in
            XCTAssertEqual(error as? RedisClientError, .connectionRefused(endpoint: "127.0.0.1:\(port)"))
        }
    }

    func testReadTimesOutWhenTheServerNeverAnswers() throws {
        // A listening socket that accepts nothing: the connect completes in
        // the backlog, the reply never comes.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(listener, $0, length)
                _ = getsockname(listener, $0, &length)
            }
        }
        XCTAssertEqual(listen(listener, 4), 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let config = RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port), timeout: 0.3)
        let start = Date()
        XCTAssertThrowsError(try RedisConnection(configuration: config)) { error in
            guard case .timeout(_, let operation, let seconds) = error as? RedisClientError else {
                return XCTFail("expected a timeout, got \(error)")
            }
            XCTAssertEqual(operation, "waiting for a reply from")
            XCTAssertEqual(seconds, 0.3)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
    }

    func testUnknownHost() {
        let config = RedisConfiguration(endpoint: .tcp(host: "no-such-host.invalid", port: 6379), timeout: 2)
        XCTAssertThrowsError(try RedisConnection(configuration: config)) { error in
            guard case .unknownHost("no-such-host.invalid", _) = error as? RedisClientError else {
                return XCTFail("expected unknownHost, got \(error)")
            }
        }
    }

    func testAClosedConnectionSaysSoAndReconnects() throws {
        let redis = try connect()
        let admin = try connect()
        try admin.send("CLIENT", "KILL", "SKIPME", "yes", "TYPE", "normal")
        XCTAssertThrowsError(try redis.send("PING")) { error in
            XCTAssertEqual(error as? RedisClientError, .connectionClosed(endpoint: "127.0.0.1:\(server.port)"))
        }
        XCTAssertFalse(redis.isConnected)
        XCTAssertThrowsError(try redis.send("PING"))
        try redis.reconnect()
        XCTAssertEqual(try redis.send("PING"), .status("PONG"))
    }
}
