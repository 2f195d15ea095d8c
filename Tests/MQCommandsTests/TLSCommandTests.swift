import Foundation
import MQTestSupport
import XCTest

/// The TLS options as an operator types them.
final class TLSCommandTests: XCTestCase {
    func testRedissAndTheTLSOptions() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-tls-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificates = try TestCertificates(in: folder)
        let server = try RedisServer(.init(tls: certificates, clientCertificates: true))
        let ca = certificates.path("ca.crt")
        let client = ["--cert", certificates.path("client.crt"), "--key", certificates.path("client.key")]
        let url = "rediss://localhost:\(server.tlsPort)/0"

        var result = mqctl(["enqueue", "orders", "over tls", "--url", url, "--cacert", ca, "-q"] + client, environment: [:])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(try server.connect().send("LLEN", "mq:{orders}:ready:normal").int(), 1)

        // --tls turns a redis:// URL into TLS; the options imply it too.
        let plainURL = "redis://127.0.0.1:\(server.tlsPort)/0"
        result = mqctl(["stats", "orders", "-o", "json", "--tls", "--cacert", ca] + client, environment: ["MQCTL_URL": plainURL])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\"ready\":1"), result.stdout)

        result = mqctl(["ping", "--url", url, "--cacert", ca, "--sni", "redis.example.com"] + client, environment: [:])
        XCTAssertEqual(result.code, 69, result.stderr)
        XCTAssertTrue(result.stderr.contains("hostname mismatch"), result.stderr)
        XCTAssertTrue(result.stderr.contains("hint: check the certificate files"), "a TLS hint, not 'is redis-server running': \(result.stderr)")
        XCTAssertFalse(result.stderr.contains("is redis-server running"), result.stderr)

        let unreadable = mqctl(["ping", "--url", url, "--cacert", "/nonexistent/ca.pem"], environment: [:])
        XCTAssertEqual(unreadable.code, 66, "EX_NOINPUT: \(unreadable.stderr)")
        XCTAssertEqual(unreadable.stderr, "mqctl: error: cannot read --cacert /nonexistent/ca.pem: no such file, or no permission\n")

        result = mqctl(["ping", "--url", url, "--insecure"] + client, environment: [:])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("warning: --insecure"), result.stderr)

        result = mqctl(["ping", "--url", url, "--cacert", ca], environment: [:])
        XCTAssertEqual(result.code, 69, "no client certificate: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("TLS to Redis at localhost:\(server.tlsPort) failed"), result.stderr)

        result = mqctl(["ping", "--url", "unix:///tmp/r.sock", "--tls"], environment: [:])
        XCTAssertEqual(result.code, 64, result.stderr)
        result = mqctl(["ping", "--url", url, "--key", certificates.path("client.key")], environment: [:])
        XCTAssertEqual(result.code, 64, result.stderr)
    }
}
