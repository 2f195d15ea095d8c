import ArgumentParser
@testable import MQCommands
import Foundation
import MQFormat
import MQTestSupport
import XCTest

/// Tab in the shell, from the commands' own model, against a real Redis:
/// each argument kind gets its own names, and only what the command takes.
final class ShellCompletionTests: CommandTestCase {
    /// Each command names itself: a name ArgumentParser has to derive costs
    /// a protocol-conformance scan at every start-up (about 1M instructions
    /// per command, most of `--version`'s time).
    func testEveryCommandNamesItself() {
        var unnamed: [String] = []
        func visit(_ command: any ParsableCommand.Type, path: String) {
            if command.configuration.commandName == nil { unnamed.append(path) }
            for child in command.configuration.subcommands {
                visit(child, path: path + " " + (child.configuration.commandName ?? "\(child)"))
            }
        }
        visit(MQCtl.self, path: "mqctl")
        XCTAssertEqual(unnamed, [])
    }

    private func session() throws -> ReplSession {
        let globals = try GlobalOptions.parse(["--url", server.url])
        let context = try CommandContext(globals: globals, environment: [:], stdin: .memory(""), stdout: .memory(), stderr: .memory())
        return ReplSession(context: context, globals: globals, failFast: false)
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        XCTAssertEqual(run("queues", "create", "orders").code, 0)
        XCTAssertEqual(run("queues", "create", "invoices").code, 0)
        _ = try redis("XADD", "events:orders", "*", "a", "1")
        _ = try redis("XGROUP", "CREATE", "events:orders", "mailer", "0")
        _ = try redis("XADD", "events:users", "*", "a", "1")
    }

    func testEachArgumentGetsItsOwnKindOfName() throws {
        let shell = try session()
        XCTAssertEqual(Set(shell.candidates("stats ")), ["orders", "invoices"], "queues, not streams, for stats")
        XCTAssertEqual(Set(shell.candidates("dlq replay ")), ["orders", "invoices"])
        // The audit stream that `queues create` wrote is a stream too.
        XCTAssertEqual(Set(shell.candidates("streams groups ")), ["events:orders", "events:users", "mq:audit"], "streams, not queues")
        XCTAssertEqual(Set(shell.candidates("streams groups events:u")), ["events:users"], "the scan starts from what was typed")
        XCTAssertEqual(shell.candidates("streams consumers events:orders "), ["mailer"], "the groups of the stream named before")
        XCTAssertEqual(Set(shell.candidates("use ")), ["orders", "invoices"])
        XCTAssertEqual(shell.candidates("connect "), [])
    }

    func testOptionsAndTheirFixedValuesComeFromTheCommand() throws {
        let shell = try session()
        XCTAssertEqual(Set(shell.candidates("stats --format ")), ["table", "wide", "json", "ndjson", "json-seq", "csv", "name"])
        XCTAssertEqual(Set(shell.candidates("dlq import orders --to ")), ["dead", "ready"])
        XCTAssertEqual(Set(shell.candidates("work orders --backoff ")), ["exponential", "fixed", "polynomial"])
        let options = shell.candidates("dlq replay orders --")
        XCTAssertTrue(options.contains("--keep-attempts") && options.contains("--dry-run") && options.contains("--json"), "\(options)")
        // Nothing scraped from help text, and nothing the shell fixed at start.
        for junk in ["--cert.", "--grace;", "--pipe).", "--stream;", "--url", "--cacert", "--password-file", "--tls"] {
            XCTAssertFalse(options.contains(junk), junk)
        }
        XCTAssertTrue(options.allSatisfy { $0.hasPrefix("--") && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }, "\(options)")
        XCTAssertFalse(shell.candidates("work orders --").contains("--stream;"))
        XCTAssertEqual(shell.candidates("work orders -- ./handle "), [], "a handler's words are not ours")
    }

    func testCommandsSubcommandsAndHelp() throws {
        let shell = try session()
        let top = shell.candidates("")
        XCTAssertTrue(top.contains("stats") && top.contains("dlq") && top.contains("use") && top.contains("exit"), "\(top)")
        XCTAssertEqual(Set(shell.candidates("dlq ")), ["list", "show", "replay", "purge", "export", "import"])
        XCTAssertEqual(Set(shell.candidates("help dlq ")), ["list", "show", "replay", "purge", "export", "import"])
        XCTAssertEqual(shell.candidates("mqctl dlq r").filter { $0.hasPrefix("r") }, ["replay"], "a pasted mqctl is skipped")
    }

    /// A live name is read once for a burst of Tabs, not at every key.
    func testNamesAreReadOncePerBurst() throws {
        let shell = try session()
        _ = shell.candidates("stats ")
        XCTAssertEqual(run("queues", "create", "later").code, 0)
        XCTAssertFalse(shell.candidates("stats ").contains("later"), "cached for a few seconds")
    }
}
