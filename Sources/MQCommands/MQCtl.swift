import ArgumentParser
import FoundationEssentials
import Glibc
import MQFormat
import MQRedis

public let mqctlVersion = "0.1.0"

/// The root command. Leaf commands conform to `MQCommand` and receive a
/// `CommandContext` instead of reading the process environment.
public struct MQCtl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mqctl",
        abstract: "Administer message queues that live in Redis.",
        discussion: """
            Exit codes: 0 ok, 1 failed, 64 usage, 65 bad data, 66 unreadable file, \
            69 Redis unreachable, 70 internal error, 75 temporary (retry later), 77 permission \
            denied, 130/143 interrupted; check exits 0-3 (Nagios). \
            See mqctl(7) for the keyspace and the delivery guarantees.

            Example: mqctl -u redis://127.0.0.1:6379/0 stats
            """,
        version: mqctlVersion,
        subcommands: [
            Ping.self, Doctor.self, Stats.self, Check.self, Queues.self, Enqueue.self, Show.self, Peek.self,
            Delayed.self, Promote.self, DLQ.self, Retry.self, Work.self, Reap.self, Workers.self, Events.self,
            Seq.self, Depth.self, Streams.self, Layouts.self, Context.self, Migrate.self, Repl.self, Top.self, Completion.self,
        ])

    public init() {}
}

/// A command that runs against a context built from its global options.
protocol MQCommand: ParsableCommand {
    var globals: GlobalOptions { get }
    func run(in context: CommandContext) throws
}

extension MQCommand {
    func run() throws {
        // Only reached if a command is run outside `MQCtl.execute`.
        let context = try CommandContext(
            globals: globals, environment: ProcessInfo.processInfo.environment,
            stdin: .descriptor(0), stdout: .descriptor(1), stderr: .descriptor(2))
        defer { context.close() }
        try run(in: context)
    }
}

extension MQCtl {
    /// Parses and runs one command line, reporting errors on `stderr`;
    /// returns the exit code. Used by the executable, the tests and the REPL.
    public static func execute(
        arguments: [String], environment: [String: String], stdin: InputSource = .memory([]),
        stdout: OutputSink, stderr: OutputSink, connection: RedisConnection? = nil
    ) -> Int32 {
        var context: CommandContext?
        defer {
            context?.close()
            stdout.flush()
            stderr.flush()
        }
        let command: ParsableCommand
        // No command at a terminal opens the shell (`mqctl`, `mqctl -u URL`).
        var arguments = onlyGlobalOptions(arguments) && stdin.isTerminal ? ["repl"] + arguments : hoistGlobalOptions(arguments)
        // `work Q... -- COMMAND ARGS`: what follows `--` is the handler's
        // command line, kept whole for the worker (ArgumentParser cannot
        // take two lists of positional arguments).
        var handlerCommand: [String] = []
        if arguments.first == "work", let separator = arguments.firstIndex(of: "--") {
            handlerCommand = Array(arguments[(separator + 1)...])
            arguments = Array(arguments[..<separator])
        }
        if let unknown = UnknownCommand.find(in: arguments) {
            stderr.write("mqctl: error: \(unknown.message)\nhint: \(unknown.hint)\n")
            return ExitStatus.usage.rawValue
        }
        do {
            command = try parseAsRoot(arguments)
        } catch {
            return reportParseError(error, stdout: stdout, stderr: stderr)
        }
        guard let leaf = command as? MQCommand else {
            // A group without a subcommand: ArgumentParser prints its help.
            do {
                var command = command
                try command.run()
                return ExitStatus.ok.rawValue
            } catch {
                return reportParseError(error, stdout: stdout, stderr: stderr)
            }
        }
        do {
            context = try CommandContext(
                globals: leaf.globals, environment: environment, stdin: stdin, stdout: stdout, stderr: stderr)
            context!.handlerCommand = handlerCommand
            if let connection { context!.lend(connection) }
            try leaf.run(in: context!)
            return ExitStatus.ok.rawValue
        } catch let exit as ExitCode {
            // A command that chose its exit code (check, bulk enqueue).
            return exit.rawValue
        } catch let error as ValidationError {
            return reportParseError(error, stdout: stdout, stderr: stderr)
        } catch {
            let error = context?.explained(error) ?? error
            let report = ErrorReport.message(for: error, configuration: context?.configuration)
            stderr.write("mqctl: error: \(report.message)\n")
            if let hint = report.hint { stderr.write("hint: \(hint)\n") }
            return ExitStatus(for: error).rawValue
        }
    }

    /// The process entry: real stdout, stderr, arguments and environment.
    public static func runAsProcess() -> Never {
        signal(SIGPIPE, SIG_IGN)
        let code = execute(
            arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment,
            stdin: .descriptor(0), stdout: .descriptor(1), stderr: .descriptor(2))
        Glibc.exit(code)
    }

    /// Help and version go to stdout with 0; usage errors to stderr in
    /// mqctl's own error form, with ArgumentParser's exit code (64).
    private static func reportParseError(_ error: Error, stdout: OutputSink, stderr: OutputSink) -> Int32 {
        let code = exitCode(for: error).rawValue
        let text = fullMessage(for: error)
        if code == 0 {
            // Help (or the version): the root's usage line tells its page apart.
            if !text.isEmpty { stdout.write(HelpText.arranged(text, isRoot: text.contains("USAGE: mqctl <subcommand>")) + "\n") }
        } else {
            let body = text.hasPrefix("Error: ") ? String(text.dropFirst("Error: ".count)) : text
            stderr.write("mqctl: error: \(body)\n")
        }
        return code
    }

    /// Whether `arguments` are global options alone (or none): no command.
    static func onlyGlobalOptions(_ arguments: [String]) -> Bool {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            if GlobalOptions.flagOptions.contains(argument) {
                index += 1
            } else if GlobalOptions.valueOptions.contains(name) {
                index += name == argument ? 2 : 1
            } else {
                return false
            }
        }
        return true
    }

    /// Moves global options written before the command name (`mqctl -u URL
    /// ping`) to after it, where ArgumentParser looks for them; they go
    /// before a `--`, whose followers belong to a child command.
    static func hoistGlobalOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            if GlobalOptions.flagOptions.contains(argument) {
                leading.append(argument)
                index += 1
            } else if GlobalOptions.valueOptions.contains(name) {
                let takesNext = name == argument && index + 1 < arguments.count
                leading += arguments[index..<(index + (takesNext ? 2 : 1))]
                index += takesNext ? 2 : 1
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        var rest = Array(arguments[index...])
        let separator = rest.firstIndex(of: "--") ?? rest.endIndex
        rest.insert(contentsOf: leading, at: separator)
        return rest
    }
}
