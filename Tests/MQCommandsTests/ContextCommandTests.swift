import Foundation
import MQTestSupport
import XCTest

/// `mqctl context`: named connection settings kept in the config file
/// beside the layouts, with no password in it, used by `--context`,
/// $MQCTL_CONTEXT and `context use`.
final class ContextCommandTests: CommandTestCase {
    private var folder: URL!
    private var config: String { folder.appendingPathComponent("config.toml").path }
    /// No MQCTL_URL: the context gives the URL.
    private var bare: [String: String] { ["MQCTL_CONFIG": config] }

    override func setUpWithError() throws {
        try super.setUpWithError()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mqctl-context-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A layouts file written by hand: the context commands keep it and its comments.
        try """
            # layouts of the billing team
            [layouts.bills]
            queues = { pattern = "bills:{queue}:pending" }
            push = "left"
            pop = "right"
            ready = ["bills:{queue}:pending"]

            """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
        try super.tearDownWithError()
    }

    func testAddUseListShowRemoveKeepTheRestOfTheFile() throws {
        let passwordFile = folder.appendingPathComponent("pw").path
        try "unused\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let added = mqctl(["context", "add", "local", "--url", server.url, "--prefix", "jobs", "--password-file", passwordFile, "--json"],
                          environment: bare)
        XCTAssertEqual(added.code, 0, added.stderr)
        XCTAssertTrue(added.stdout.contains(#""password":"file \#(passwordFile)""#), added.stdout)
        XCTAssertEqual(mqctl(["context", "add", "other", "--url", "redis://10.9.9.9:6379/3"], environment: bare).code, 0)
        XCTAssertEqual(mqctl(["context", "add", "local", "--url", server.url], environment: bare).code, 1, "a name in use is refused")
        XCTAssertEqual(mqctl(["context", "add", "bad name", "--url", server.url], environment: bare).code, 64, "a name TOML cannot hold")

        let text = try String(contentsOfFile: config, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("# layouts of the billing team\n[layouts.bills]"), text)
        XCTAssertTrue(text.contains("[contexts.local]\nurl = \"\(server.url)\"\npassword_file = \"\(passwordFile)\"\nprefix = \"jobs\"\n"), text)
        let mode = try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)

        XCTAssertEqual(mqctl(["context", "use", "local"], environment: bare).code, 0)
        XCTAssertTrue(try String(contentsOfFile: config, encoding: .utf8).hasPrefix("current_context = \"local\"\n# layouts"))
        let list = mqctl(["context", "list"], environment: bare)
        XCTAssertEqual(list.code, 0, list.stderr)
        XCTAssertTrue(list.stdout.hasPrefix("CURRENT  CONTEXT"), list.stdout + list.stderr)
        let show = mqctl(["context", "show", "--json"], environment: bare)
        XCTAssertTrue(show.stdout.contains(#""current":true,"context":"local""#), show.stdout)

        XCTAssertEqual(mqctl(["context", "rm", "local"], environment: bare).code, 0)
        let after = try String(contentsOfFile: config, encoding: .utf8)
        XCTAssertFalse(after.contains("current_context") || after.contains("[contexts.local]"), after)
        XCTAssertTrue(after.contains("[contexts.other]") && after.contains("[layouts.bills]"), after)
        XCTAssertEqual(mqctl(["context", "rm", "local"], environment: bare).code, 1, "no such context")
    }

    func testNoPasswordIsStored() throws {
        let refused = mqctl(["context", "add", "prod", "--url", "redis://:hunter2@10.0.0.5:6379/0"], environment: bare)
        XCTAssertEqual(refused.code, 64)
        XCTAssertTrue(refused.stderr.contains("the URL holds a password"), refused.stderr)
        XCTAssertFalse(try String(contentsOfFile: config, encoding: .utf8).contains("hunter2"))
        // A hand-written password in the file is refused when it is read.
        try "[contexts.bad]\nurl = \"redis://:hunter2@127.0.0.1:1/0\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let read = mqctl(["ping", "--context", "bad"], environment: bare)
        XCTAssertEqual(read.code, 64)
        XCTAssertTrue(read.stderr.contains("holds a password; the config file keeps none"), read.stderr)
    }

    func testTheContextInEffectAndWhatOverridesIt() throws {
        try redis("SADD", "jobs:queues", "orders")
        try redis("RPUSH", "jobs:{orders}:ready:normal", "x")
        XCTAssertEqual(mqctl(["context", "add", "local", "--url", server.url, "--prefix", "jobs"], environment: bare).code, 0)
        XCTAssertEqual(mqctl(["context", "add", "nowhere", "--url", "redis://127.0.0.1:1/0"], environment: bare).code, 0)

        // --context, then $MQCTL_CONTEXT, then current_context.
        XCTAssertTrue(mqctl(["stats", "--context", "local"], environment: bare).stdout.contains("orders"), "the context's URL and prefix")
        XCTAssertEqual(mqctl(["ping", "-q"], environment: bare.merging(["MQCTL_CONTEXT": "local"]) { $1 }).code, 0)
        XCTAssertEqual(mqctl(["ping", "-q"], environment: bare.merging(["MQCTL_CONTEXT": "nowhere"]) { $1 }).code, 69)
        XCTAssertEqual(mqctl(["context", "use", "nowhere"], environment: bare).code, 0)
        XCTAssertEqual(mqctl(["ping", "-q"], environment: bare).code, 69, "the current context")
        // What the command line or an MQCTL_* variable gives wins.
        XCTAssertEqual(mqctl(["ping", "-q", "--url", server.url], environment: bare).code, 0)
        XCTAssertEqual(mqctl(["ping", "-q"], environment: bare.merging(["MQCTL_URL": server.url]) { $1 }).code, 0)
        XCTAssertFalse(mqctl(["stats", "--context", "local", "--prefix", "mq"], environment: bare).stdout.contains("orders"))
        let unknown = mqctl(["ping", "--context", "nope"], environment: bare)
        XCTAssertEqual(unknown.code, 1)
        XCTAssertTrue(unknown.stderr.contains("no context 'nope'") && unknown.stderr.contains("the contexts are local, nowhere"), unknown.stderr)
        // The shell keeps its context for every line.
        let shell = mqctl(["repl", "--context", "local"], environment: bare, stdin: Array("context use nowhere\nstats\n".utf8))
        XCTAssertEqual(shell.code, 0, shell.stderr)
        XCTAssertTrue(shell.stdout.contains("orders"), shell.stdout)
    }

    func testAPasswordComesFromTheContextsCommandOrFile() throws {
        let server = try RedisServer(.init(password: "s3cret"))
        XCTAssertEqual(mqctl(["context", "add", "guarded", "--url", "redis://127.0.0.1:\(server.port)/0",
                              "--password-command", "printf 's3cret\\nrest'"], environment: bare).code, 0)
        XCTAssertEqual(mqctl(["ping", "-q", "--context", "guarded"], environment: bare).code, 0)
        XCTAssertEqual(mqctl(["context", "add", "broken", "--url", "redis://127.0.0.1:\(server.port)/0",
                              "--password-command", "exit 3"], environment: bare).code, 0)
        // The command runs when a connection is made, not for every command.
        let marker = folder.appendingPathComponent("ran").path
        XCTAssertEqual(mqctl(["context", "add", "marked", "--url", "redis://127.0.0.1:\(server.port)/0",
                              "--password-command", "touch \(marker); exit 3", "--use"], environment: bare).code, 0)
        XCTAssertEqual(mqctl(["context", "list"], environment: bare).code, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "context list ran the password command")
        XCTAssertEqual(mqctl(["ping", "-q"], environment: bare).code, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker))
        let failed = mqctl(["ping", "--context", "broken"], environment: bare)
        XCTAssertEqual(failed.code, 1)
        XCTAssertTrue(failed.stderr.contains("the password_command of context 'broken' failed (exit 3)"), failed.stderr)
        XCTAssertFalse(try String(contentsOfFile: config, encoding: .utf8).contains("s3cret\""), "the command is stored, not its output")
    }
}
