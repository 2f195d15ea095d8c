import Foundation
import MQTestSupport
import XCTest

/// The built binary: exit codes, streams, and that no password leaks.
final class ProcessExitTests: XCTestCase {
    func testVersionAndHelpNeedNoServer() throws {
        let version = try mqctlProcess(["--version"], environment: ["MQCTL_URL": "redis://127.0.0.1:1"])
        XCTAssertEqual(version.code, 0)
        XCTAssertEqual(version.stdout, "0.1.0\n")
        let help = try mqctlProcess(["--help"], environment: [:])
        XCTAssertEqual(help.code, 0)
        XCTAssertTrue(help.stdout.contains("ping"), help.stdout)
        let pingHelp = try mqctlProcess(["ping", "--help"], environment: [:])
        XCTAssertTrue(pingHelp.stdout.contains("--count"), pingHelp.stdout)
    }

    /// A command's own options first, the global ones once after them, and
    /// the root page names the global options too.
    func testHelpShowsOwnOptionsBeforeTheGlobalOnes() throws {
        for arguments in [["dlq", "replay", "--help"], ["help", "dlq", "replay"], ["streams", "groups", "--help"]] {
            let help = try mqctlProcess(arguments, environment: [:]).stdout
            let own = try XCTUnwrap(help.range(of: "\nOPTIONS:\n"), help)
            let global = try XCTUnwrap(help.range(of: "\nGLOBAL OPTIONS:\n"), help)
            XCTAssertLessThan(own.lowerBound, global.lowerBound, help)
            XCTAssertEqual(help.components(separatedBy: "--url <url>").count, 2, "the global options once: \(help)")
            XCTAssertFalse(help.hasSuffix("\n\n"), "one newline at the end")
        }
        // A left-out setting of `queues config` stays as it is, so its help names no default.
        let config = try mqctlProcess(["queues", "config", "--help"], environment: [:]).stdout
        let own = try XCTUnwrap(config.components(separatedBy: "GLOBAL OPTIONS:").first)
        XCTAssertFalse(own.lowercased().contains("default"), config)
        XCTAssertTrue(try mqctlProcess(["queues", "create", "--help"], environment: [:]).stdout.contains("max_attempts 25"))
        // No default is printed twice, by the help text and by ArgumentParser.
        let work = try mqctlProcess(["work", "--help"], environment: [:]).stdout
        XCTAssertFalse(work.contains("(default 65). (default: 65)"), work)
        let root = try mqctlProcess(["--help"], environment: [:]).stdout
        let global = try XCTUnwrap(root.range(of: "\nGLOBAL OPTIONS:\n  -u, --url <url>"), root)
        XCTAssertLessThan(global.lowerBound, try XCTUnwrap(root.range(of: "\nSUBCOMMANDS:\n")).lowerBound, root)
    }

    func testClosedPortExits69() throws {
        let port = try RedisServer.freePort()
        let result = try mqctlProcess(["ping", "-u", "redis://127.0.0.1:\(port)"], environment: [:])
        XCTAssertEqual(result.code, 69)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.hasPrefix("mqctl: error: could not connect to Redis at 127.0.0.1:\(port): connection refused"), result.stderr)
    }

    func testMalformedURLExits64() throws {
        for url in ["redis://h:99999", "127.0.0.1:6379", "redis-sentinel://h:26379"] {
            let result = try mqctlProcess(["ping", "-u", url], environment: [:])
            XCTAssertEqual(result.code, 64, url)
            XCTAssertTrue(result.stderr.hasPrefix("mqctl: error: "), result.stderr)
        }
    }

    func testWrongPasswordExits77AndNoPasswordIsShown() throws {
        let server = try RedisServer(.init(password: "right-horse"))
        let url = "redis://:wrong-battery@127.0.0.1:\(server.port)/0"
        let result = try mqctlProcess(["ping", "-u", url], environment: [:])
        XCTAssertEqual(result.code, 77)
        XCTAssertTrue(result.stderr.contains("mqctl: warning: a password on the command line"), result.stderr)
        XCTAssertTrue(result.stderr.contains("WRONGPASS"), result.stderr)
        XCTAssertFalse((result.stdout + result.stderr).contains("wrong-battery"))

        let missing = try mqctlProcess(["ping"], environment: ["MQCTL_URL": server.url])
        XCTAssertEqual(missing.code, 77)
        XCTAssertTrue(missing.stderr.contains("NOAUTH"), missing.stderr)
    }

    func testPasswordSources() throws {
        let server = try RedisServer(.init(password: "right-horse"))
        let fromURL = try mqctlProcess(["ping", "--json", "-u", "redis://:right-horse@127.0.0.1:\(server.port)"], environment: [:])
        XCTAssertEqual(fromURL.code, 0, fromURL.stderr)
        XCTAssertTrue(fromURL.stderr.contains("warning"), fromURL.stderr)
        XCTAssertFalse((fromURL.stdout + fromURL.stderr).contains("right-horse"), fromURL.stdout)

        for variable in ["MQCTL_PASSWORD", "REDISCLI_AUTH"] {
            let result = try mqctlProcess(["ping", "--json"], environment: ["MQCTL_URL": server.url, variable: "right-horse"])
            XCTAssertEqual(result.code, 0, "\(variable): \(result.stderr)")
            XCTAssertEqual(result.stderr, "", "no warning for \(variable)")
            XCTAssertFalse(result.stdout.contains("right-horse"))
        }

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-pw-\(UUID())")
        try "right-horse\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try mqctlProcess(["ping", "--json", "--password-file", file.path], environment: ["MQCTL_URL": server.url])
        XCTAssertEqual(fromFile.code, 0, fromFile.stderr)
        let missingFile = try mqctlProcess(["ping", "--password-file", file.path + ".absent"], environment: ["MQCTL_URL": server.url])
        XCTAssertEqual(missingFile.code, 64)
        XCTAssertTrue(missingFile.stderr.contains("cannot read the password file"), missingFile.stderr)
    }

    func testACLUserAndAServerErrorsTextReachesTheUser() throws {
        let server = try RedisServer(.init(aclUser: (name: "reader", password: "r3ad", permissions: "~* +ping -info")))
        let result = try mqctlProcess(["ping", "--user", "reader"], environment: ["MQCTL_URL": server.url, "MQCTL_PASSWORD": "r3ad"])
        // The ACL lets the user in but refuses INFO: the server's words reach the user.
        XCTAssertEqual(result.code, 77)
        XCTAssertTrue(result.stderr.contains("NOPERM"), result.stderr)
        XCTAssertTrue(result.stderr.contains("info"), result.stderr)
        XCTAssertFalse(result.stderr.contains("r3ad"))
    }

    func testUnixSocketURL() throws {
        let server = try RedisServer(.init(unixSocket: true))
        let result = try mqctlProcess(["ping", "--json", "-u", "unix://\(server.socketPath)?db=2"], environment: [:])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\"target\":\"unix://\(server.socketPath)?db=2\""), result.stdout)
        XCTAssertTrue(result.stdout.contains("\"db\":2"), result.stdout)
    }
}

final class WatchProcessTests: RedisTestCase {
    /// What a `--watch` command printed into a pipe in `seconds`, ended by SIGINT.
    func watched(_ arguments: [String], seconds: Double) throws -> String {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments + ["-u", server.url]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: seconds)
        process.interrupt()
        process.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// In a pipe a watch writes no escape codes: tables one after another,
    /// or one JSON record per draw; a format with no next draw is refused.
    func testWatchInAPipeWritesNoEscapesAndStreamsRecords() throws {
        let redis = try connect()
        try redis.send("RPUSH", "jobs:a", "1", "2")
        let table = try watched(["depth", "jobs:*", "--watch", "--interval", "200ms"], seconds: 0.9)
        XCTAssertFalse(table.contains("\u{1B}"), table)
        XCTAssertGreaterThanOrEqual(table.components(separatedBy: "mqctl depth jobs:*").count - 1, 2, table)
        for format in ["ndjson", "json-seq"] {
            let text = try watched(["depth", "jobs:*", "--watch", "--interval", "200ms", "-o", format], seconds: 0.9)
            let draws = text.split(separator: "\n")
            XCTAssertGreaterThanOrEqual(draws.count, 2, text)
            for draw in draws {
                let json = format == "json-seq" ? draw.dropFirst() : draw
                XCTAssertEqual(format == "json-seq", draw.hasPrefix("\u{1E}"))
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], String(draw))
                XCTAssertEqual((object["keys"] as? [[String: Any]])?.first?["length"] as? Int, 2)
            }
        }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
        let refused = Process()
        refused.executableURL = binary
        refused.arguments = ["depth", "jobs:*", "--watch", "-o", "json", "-u", server.url]
        refused.standardError = FileHandle.nullDevice
        try refused.run()
        refused.waitUntilExit()
        XCTAssertEqual(refused.terminationStatus, 64)
    }

    /// `stats --watch` redraws until interrupted; SIGINT ends it.
    func testWatchRedrawsWithRates() throws {
        let redis = try connect()
        try redis.send("SADD", "mq:queues", "orders")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["stats", "--watch", "--interval", "300ms", "-u", server.url]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.5)
        try redis.send("INCRBY", "mq:{orders}:count:processed", 30)
        Thread.sleep(forTimeInterval: 1.2)
        process.interrupt()
        process.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertFalse(text.contains("\u{1B}"), "no escape codes into a pipe")
        let frames = text.components(separatedBy: "mqctl stats ").filter { !$0.isEmpty }
        XCTAssertGreaterThanOrEqual(frames.count, 3, text)
        let header = try XCTUnwrap(frames[0].split(separator: "\n").first { $0.hasPrefix("QUEUE") })
        XCTAssertEqual(header.split(separator: " ")[5], "PROCESSED_PER_S", String(header))
        // The first frame has no rate yet; a later one saw the processed
        // counter move by 30 within one interval.
        let doneRates = frames.compactMap { frame in
            frame.split(separator: "\n").first { $0.hasPrefix("orders") }.map { String($0.split(separator: " ")[5]) }
        }
        XCTAssertEqual(doneRates.first, "-", text)
        XCTAssertTrue(doneRates.contains { (Double($0) ?? 0) > 0 }, "\(doneRates)")
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
    }
}
