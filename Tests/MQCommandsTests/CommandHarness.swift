import Foundation
import MQCommands
import MQFormat
import MQRedis
import MQTestSupport
import XCTest

struct CommandResult {
    var code: Int32
    var stdout: String
    var stderr: String
}

/// Runs one mqctl command line in this process, as the executable would,
/// with captured output and the given environment.
func mqctl(_ arguments: [String], environment: [String: String], stdin: [UInt8] = []) -> CommandResult {
    let stdout = OutputSink.memory()
    let stderr = OutputSink.memory()
    let code = MQCtl.execute(
        arguments: arguments, environment: environment, stdin: .memory(stdin), stdout: stdout, stderr: stderr)
    return CommandResult(code: code, stdout: stdout.text, stderr: stderr.text)
}

/// Runs the built `mqctl` binary, for what only a real process shows:
/// its exit status and its streams.
func mqctlProcess(_ arguments: [String], environment: [String: String]) throws -> CommandResult {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mqctl")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw FixtureError("\(binary.path) is missing: run Scripts/test, which builds it")
    }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { old, _ in old }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(
        code: process.terminationStatus,
        stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}

/// Tests of commands against the shared Redis, with `MQCTL_URL` pointing at it.
class CommandTestCase: RedisTestCase {
    var environment: [String: String] { ["MQCTL_URL": server.url] }

    func run(_ arguments: String..., stdin: String = "") -> CommandResult {
        run(arguments, stdin: stdin)
    }

    func run(_ arguments: [String], stdin: String = "") -> CommandResult {
        mqctl(arguments, environment: environment, stdin: Array(stdin.utf8))
    }

    func json(_ result: CommandResult, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertEqual(result.code, 0, result.stderr, file: file, line: line)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout, file: file, line: line)
    }

    func redis(_ arguments: any RedisArgument...) throws -> RedisReply {
        try connect().send(RedisCommand(arguments))
    }
}
