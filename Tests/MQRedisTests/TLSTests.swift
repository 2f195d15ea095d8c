import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// TLS against redis-server's own tls-port, with a CA and certificates the
/// test makes: verification, mutual TLS, and the refusals.
final class TLSTests: XCTestCase {
    var certificates: TestCertificates!
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-tls-\(UUID().uuidString.prefix(8))")
        certificates = try TestCertificates(in: folder)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: folder)
    }

    func tls(_ server: RedisServer, host: String = "127.0.0.1", options: TLSOptions? = nil) -> RedisConfiguration {
        var configuration = RedisConfiguration(endpoint: .tcp(host: host, port: server.tlsPort), timeout: 2)
        configuration.tls = options ?? TLSOptions(caFile: certificates.path("ca.crt"))
        return configuration
    }

    func assertRefused(_ configuration: RedisConfiguration, _ words: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try RedisConnection(configuration: configuration), file: file, line: line) { error in
            guard case .tls = error as? RedisClientError else {
                return XCTFail("expected a TLS error, got \(error)", file: file, line: line)
            }
            for word in words {
                XCTAssertTrue("\(error)".contains(word), "\(error) does not say '\(word)'", file: file, line: line)
            }
        }
    }

    func testVerifiedConnectionCarriesLargeRepliesAndPipelines() throws {
        let server = try RedisServer(.init(tls: certificates))
        for host in ["127.0.0.1", "localhost"] {
            let redis = try RedisConnection(configuration: tls(server, host: host))
            XCTAssertEqual(try redis.send("PING"), .status("PONG"), host)
        }
        let redis = try RedisConnection(configuration: tls(server))
        let big = [UInt8](repeating: 0x5A, count: 3_000_000)
        try redis.send("SET", "big", big)
        XCTAssertEqual(try redis.send("GET", "big").bytes(), big, "a reply many TLS records long")
        let replies = try redis.pipeline((0..<5_000).map { _ in RedisCommand("INCR", "n") })
        XCTAssertEqual(replies.last, .integer(5_000))
        XCTAssertTrue(try server.connect().send("CLIENT", "LIST").string().contains("name=mqctl"), "seen by the server")
    }

    func testTheServersNameIsChecked() throws {
        let server = try RedisServer(.init(tls: certificates))
        var options = TLSOptions(caFile: certificates.path("ca.crt"), serverName: "redis.example.com")
        assertRefused(tls(server, options: options), "certificate", "hostname mismatch")
        options.insecure = true
        XCTAssertEqual(try RedisConnection(configuration: tls(server, options: options)).send("PING"), .status("PONG"),
                       "--insecure skips the check")
    }

    func testAnUntrustedCAIsRefused() throws {
        let server = try RedisServer(.init(tls: certificates))
        assertRefused(tls(server, options: TLSOptions(caFile: certificates.path("other-ca.crt"))), "certificate was refused", "self-signed")
        assertRefused(tls(server, options: TLSOptions(caFile: folder.appendingPathComponent("missing.pem").path)),
                      "cannot load the CA certificates")
    }

    func testMutualTLS() throws {
        let server = try RedisServer(.init(tls: certificates, clientCertificates: true))
        assertRefused(tls(server))
        let options = TLSOptions(caFile: certificates.path("ca.crt"), certificate: certificates.path("client.crt"),
                                 key: certificates.path("client.key"))
        XCTAssertEqual(try RedisConnection(configuration: tls(server, options: options)).send("PING"), .status("PONG"))
        let mismatched = TLSOptions(caFile: certificates.path("ca.crt"), certificate: certificates.path("client.crt"),
                                    key: certificates.path("server.key"))
        assertRefused(tls(server, options: mismatched), "cannot load the client key", "mismatch")
    }

    func testPlaintextAndTLSNeverMix() throws {
        let server = try RedisServer(.init(tls: certificates))
        // Plaintext to the TLS port: the server drops it; a clear error in time.
        let started = monotonicSeconds()
        var plaintext = RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: server.tlsPort), timeout: 2)
        XCTAssertThrowsError(try RedisConnection(configuration: plaintext)) { error in
            XCTAssertTrue((error as? RedisClientError)?.isConnectionError == true, "\(error)")
        }
        XCTAssertLessThan(monotonicSeconds() - started, 5)
        // TLS to the plaintext port: the handshake fails; no plaintext fallback.
        plaintext.endpoint = .tcp(host: "127.0.0.1", port: server.port)
        plaintext.tls = TLSOptions(caFile: certificates.path("ca.crt"))
        assertRefused(plaintext, "TLS")
    }
}
