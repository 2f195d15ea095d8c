import MQParsing
import MQRedis
import XCTest

final class RedisURLTests: XCTestCase {
    func testValidURLs() throws {
        let cases: [(url: String, endpoint: RedisEndpoint, user: String?, password: String?, db: Int)] = [
            ("redis://127.0.0.1", .tcp(host: "127.0.0.1", port: 6379), nil, nil, 0),
            ("redis://localhost:6390/2", .tcp(host: "localhost", port: 6390), nil, nil, 2),
            ("redis://cache.internal:7000/", .tcp(host: "cache.internal", port: 7000), nil, nil, 0),
            ("REDIS://h/15", .tcp(host: "h", port: 6379), nil, nil, 15),
            ("redis://:s3cret@h:1/0", .tcp(host: "h", port: 1), nil, "s3cret", 0),
            ("redis://opsuser@h", .tcp(host: "h", port: 6379), "opsuser", nil, 0),
            ("redis://app:pa%40ss%3Aw%2Frd@h:6379/1", .tcp(host: "h", port: 6379), "app", "pa@ss:w/rd", 1),
            ("redis://app:p@ss@h", .tcp(host: "h", port: 6379), "app", "p@ss", 0),
            ("redis://[::1]:6380/3", .tcp(host: "::1", port: 6380), nil, nil, 3),
            ("redis://[::1]", .tcp(host: "::1", port: 6379), nil, nil, 0),
            ("unix:///run/redis.sock", .unix(path: "/run/redis.sock"), nil, nil, 0),
            ("unix:///run/redis.sock?db=4", .unix(path: "/run/redis.sock"), nil, nil, 4),
            ("unix://ops:pw@/tmp/r%20s.sock?db=1", .unix(path: "/tmp/r s.sock"), "ops", "pw", 1),
        ]
        for item in cases {
            let config = try RedisURL.parse(item.url)
            XCTAssertEqual(config.endpoint, item.endpoint, item.url)
            XCTAssertEqual(config.username, item.user, item.url)
            XCTAssertEqual(config.password, item.password, item.url)
            XCTAssertEqual(config.database, item.db, item.url)
            XCTAssertNil(config.tls, item.url)
        }
    }

    func testSentinelURLs() throws {
        let config = try RedisURL.parse("redis-sentinel://app:pw@s1:26380,s2,[::1]:26381/orders-master/3")
        XCTAssertEqual(config.sentinel, SentinelSettings(
            sentinels: [.tcp(host: "s1", port: 26380), .tcp(host: "s2", port: 26379), .tcp(host: "::1", port: 26381)],
            masterName: "orders-master"))
        XCTAssertEqual(config.username, "app")
        XCTAssertEqual(config.password, "pw")
        XCTAssertEqual(config.database, 3)
        XCTAssertEqual(config.description, "redis-sentinel://app@s1:26380,s2:26379,[::1]:26381/orders-master/3")
        for bad in ["redis-sentinel://s1:26379", "redis-sentinel://s1:26379/", "redis-sentinel://s1,/m", "redis-sentinel://s1/m/1/2"] {
            XCTAssertThrowsError(try RedisURL.parse(bad), bad)
        }
    }

    func testRedissTurnsOnTLSWithChecksOn() throws {
        let config = try RedisURL.parse("rediss://app:pw@cache.example.com:6380/2")
        XCTAssertEqual(config.endpoint, .tcp(host: "cache.example.com", port: 6380))
        XCTAssertEqual(config.tls, TLSOptions(), "verification on, system CAs")
        XCTAssertEqual(config.description, "rediss://app@cache.example.com:6380/2")
    }

    func testInvalidURLsNameTheProblem() {
        let cases: [(url: String, message: String)] = [
            ("127.0.0.1:6379", "expected redis://"),
            ("http://h", "unsupported URL scheme 'http://'"),
            ("redis://", "the host is missing"),
            ("redis://:6379", "the host is missing"),
            ("redis://h:0", "port '0' is not a number from 1 to 65535"),
            ("redis://h:65536", "port '65536'"),
            ("redis://h:abc", "port 'abc'"),
            ("redis://h/x", "database 'x'"),
            ("redis://h/-1", "database '-1'"),
            ("redis://h/1?timeout=3", "query parameters are not supported"),
            ("redis://[::1:6379", "closing ']'"),
            ("redis://[::1]x", "expected ':port'"),
            ("redis://u:pa%zzss@h", "bad percent-encoding in the password"),
            ("unix://relative.sock", "must be absolute"),
            ("unix:///r.sock?database=1", "unknown parameter 'database'"),
            ("unix:///r.sock?db=one", "database 'one'"),
            // Found by Scripts/chaos's property run: an empty parameter trapped.
            ("unix:///r.sock?=", "unknown parameter '='"),
            ("unix:///r.sock?db", "unknown parameter 'db'"),
        ]
        for item in cases {
            XCTAssertThrowsError(try RedisURL.parse(item.url), item.url) { error in
                XCTAssertTrue("\(error)".contains(item.message), "\(item.url): \(error)")
            }
        }
    }

    func testErrorsAndDescriptionsNeverShowThePassword() throws {
        XCTAssertThrowsError(try RedisURL.parse("redis://u:hunter2%zz@h")) { error in
            XCTAssertFalse("\(error)".contains("hunter2"))
        }
        let config = try RedisURL.parse("redis://app:hunter2@h:6379/2")
        XCTAssertEqual(config.description, "redis://app@h:6379/2")
        XCTAssertFalse("\(config)".contains("hunter2"))
    }
}
