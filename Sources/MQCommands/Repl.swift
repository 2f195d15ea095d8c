import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQLineEditor
import MQParsing
import MQRedis

extension MQCtl {
    struct Repl: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "repl",
            abstract: "Interactive shell: the same commands over one connection, with history and completion.",
            discussion: """
                Also what `mqctl` with no arguments opens at a terminal. Lines are split like a \
                shell's (single quotes, double quotes with backslash escapes) and run as mqctl commands; the global options given \
                here apply to every line. Built in: `use QUEUE` (the queue for stats, peek, \
                dlq list and the like when none is given), `connect URL`, `help [COMMAND]`, \
                `exit`/`quit`. Ctrl-C cancels a running command or clears the line; Ctrl-D leaves. \
                History: $XDG_STATE_HOME/mqctl/history (else ~/.local/state/mqctl/history); \
                lines holding a password are never written to it, and a line is stored trimmed \
                and once when it repeats the one before. Without a terminal the lines \
                of stdin run as a script (# comments and blank lines skipped); the exit code is \
                the last failure's, and --fail-fast stops at the first.

                Example: mqctl -u redis://10.0.0.5:6379/0 repl
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Flag(help: "In script mode, stop at the first failing line.") var failFast = false

        func run(in context: CommandContext) throws {
            // The context's password is read once, for every line.
            _ = try context.connectingConfiguration()
            let session = ReplSession(context: context, globals: globals, failFast: failFast)
            let code = context.stdin.isTerminal ? session.interactive() : session.script()
            if code != 0 { throw ExitCode(code) }
        }
    }
}

/// One shell session: a connection kept for every line, the default queue,
/// and the target, which `connect` may change.
final class ReplSession {
    let context: CommandContext
    let failFast: Bool
    /// Global options repeated on every line; the target travels in the
    /// environment so no line repeats a password.
    let inherited: InheritedOptions
    var environment: [String: String]
    var configuration: RedisConfiguration
    var connection: RedisConnection?
    var queue: QueueName?
    private var nameCache: [String: (names: [String], at: Double)] = [:]

    init(context: CommandContext, globals: GlobalOptions, failFast: Bool) {
        self.context = context
        self.failFast = failFast
        self.configuration = context.configuration
        inherited = InheritedOptions(context: context, globals: globals, output: true)
        environment = inherited.environment
    }

    // MARK: - Modes

    func interactive() -> Int32 {
        Interruption.catchInterrupts()
        let editor = LineEditor(program: "mqctl", historyPath: Self.historyPath()) { [weak self] before in
            self?.candidates(before) ?? []
        }
        // The editor saves the history and gives the terminal back when it
        // goes, on `exit` and Ctrl-D alike.
        while true {
            // What the last command wrote is on screen before the prompt.
            context.stdout.flush()
            context.stderr.flush()
            let input = editor.readLine(prompt: prompt)
            // A Ctrl-C at the prompt abandons the line, not the next command.
            Interruption.reset()
            switch input {
            case .end:
                context.stdout.write("\n")
                context.stdout.flush()
                return 0
            case .interrupted:
                context.stdout.write("^C\n")
            case .line(let line):
                guard !line.trimmingBlanks().isEmpty else { continue }
                if !Self.holdsSecret(line) { editor.remember(line) }
                if case .exit = run(line) { return 0 }
            }
        }
    }

    func script() -> Int32 {
        var lastFailure: Int32 = 0
        var number = 0
        while let bytes = context.stdin.readLine() {
            number += 1
            switch run(String(decoding: bytes, as: UTF8.self)) {
            case .exit: return lastFailure
            case .done(let code) where code != 0:
                // The command said what went wrong; say where.
                context.stderr.write("mqctl: line \(number) of the script failed (exit \(code))\n")
                lastFailure = code
                if failFast { return code }
            case .done: break
            }
        }
        return lastFailure
    }

    enum LineResult: Equatable {
        case done(Int32)
        case exit
    }

    /// Runs one line: a built-in, or an mqctl command over the session's
    /// connection. Errors print and the session goes on.
    func run(_ line: String) -> LineResult {
        var words: [String]
        do {
            words = try LineTokenizer.split(line)
        } catch {
            return fail("\(error)", code: ExitStatus.usage.rawValue)
        }
        // A line pasted from a terminal starts with `mqctl`: the shell is mqctl already.
        if words.first == "mqctl" { words.removeFirst() }
        guard let first = words.first else { return .done(0) }
        // An unknown command is named before the shell's options are added to it.
        if !["exit", "quit", "help", "use", "connect"].contains(first), let unknown = UnknownCommand.find(in: words) {
            return fail("\(unknown.message)\nhint: \(unknown.hint)", code: ExitStatus.usage.rawValue)
        }
        switch first {
        case "exit", "quit":
            return .exit
        case "help":
            let code = MQCtl.execute(arguments: Array(words.dropFirst()) + ["--help"], environment: environment,
                                     stdout: context.stdout, stderr: context.stderr)
            if words.count == 1 { context.stdout.write(Self.builtins) }
            return .done(code)
        case "use":
            guard words.count == 2 else { return fail("usage: use QUEUE", code: ExitStatus.usage.rawValue) }
            do {
                queue = try QueueName(words[1])
                return .done(0)
            } catch {
                return fail("\(error)", code: ExitStatus.usage.rawValue)
            }
        case "connect":
            guard words.count == 2 else { return fail("usage: connect URL", code: ExitStatus.usage.rawValue) }
            return connect(words[1])
        default:
            // The shell's options go before a handler's `--`, never to the handler.
            let line = withDefaultQueue(words)
            let arguments = inherited.line(line)
            let lent: RedisConnection?
            do {
                lent = try sharedConnection()
            } catch {
                // Let the command report the failure in its own words.
                lent = nil
            }
            return .done(MQCtl.execute(arguments: arguments, environment: environment, stdin: context.stdin,
                                       stdout: context.stdout, stderr: context.stderr, connection: lent))
        }
    }

    private func fail(_ message: String, code: Int32) -> LineResult {
        context.stderr.write("mqctl: error: \(message)\n")
        context.stderr.flush()
        return .done(code)
    }

    /// The session's one connection, opened again if it dropped.
    private func sharedConnection() throws -> RedisConnection {
        if let connection, connection.isConnected { return connection }
        if let connection {
            try connection.reconnect()
            return connection
        }
        let fresh = try RedisConnection(configuration: configuration)
        connection = fresh
        return fresh
    }

    private func connect(_ url: String) -> LineResult {
        do {
            var target = try ConnectionSettings.configuration(url: url, timeout: configuration.timeout, environment: environment)
            // The session's CAs and client certificate stay in force for
            // another TLS server; the name to check is the new host's.
            if target.tls != nil, var tls = configuration.tls {
                tls.serverName = nil
                target.tls = tls
            }
            let fresh = try RedisConnection(configuration: target)
            connection?.close()
            connection = fresh
            configuration = target
            environment["MQCTL_URL"] = target.description
            if let password = target.password { environment["MQCTL_PASSWORD"] = password }
            nameCache = [:]
            return .done(0)
        } catch {
            let report = ErrorReport.message(for: error, configuration: nil)
            return fail(report.message, code: ExitStatus(for: error).rawValue)
        }
    }

    /// Commands that take a queue get the `use`d one when none is given.
    static let builtins = """

        SHELL BUILT-INS:
          use QUEUE        fill in QUEUE for every command that takes a queue
          connect URL      switch to another server (the shell's options stay)
          help [COMMAND]   this help, or a command's
          exit, quit       leave (as Ctrl-D does)

        """

    /// The commands whose first argument is a queue, which `use Q` fills
    /// in: when it is left out (an option or nothing follows), or when the
    /// word there is not a queue (`show ID`, `dlq replay ID...`).
    static let queueCommands: [[String]] = [
        ["stats"], ["check"], ["peek"], ["show"], ["enqueue"], ["promote"], ["reap"], ["events"], ["migrate"], ["work"],
        ["delayed", "list"], ["delayed", "run-now"], ["delayed", "cancel"],
        ["retry", "list"], ["retry", "run-now"], ["retry", "kill"],
        ["dlq", "list"], ["dlq", "show"], ["dlq", "export"], ["dlq", "import"], ["dlq", "replay"], ["dlq", "purge"],
        ["queues", "config"], ["queues", "pause"], ["queues", "resume"], ["queues", "delete"],
    ]

    private func withDefaultQueue(_ words: [String]) -> [String] {
        guard let queue else { return words }
        for path in Self.queueCommands where words.starts(with: path) {
            let rest = words.dropFirst(path.count)
            guard let first = rest.first, !first.hasPrefix("-") else { return path + [queue.rawValue] + rest }
            if first == queue.rawValue || liveNames().contains(first) { return words }
            return path + [queue.rawValue] + rest
        }
        return words
    }

    var prompt: String {
        "mqctl \(context.contextName.map { "(\($0)) " } ?? "")\(configuration.endpoint)/\(configuration.database)\(queue.map { " [\($0)]" } ?? "")> "
    }

    // MARK: - Completion

    /// Tab's candidates, from the commands' own model (`ShellCompletion`).
    func candidates(_ before: String) -> [String] {
        completion.candidates(before)
    }

    private lazy var completion = ShellCompletion(names: ShellCompletion.Names(
        queues: { [unowned self] in liveNames() },
        streams: { [unowned self] prefix in cached("streams \(prefix)") { try MQCore.Streams(connection: $0).names(startingWith: prefix) } },
        groups: { [unowned self] stream in cached("groups \(stream)") { try MQCore.Streams(connection: $0).groupNames(stream) } }))

    /// Live names, kept a few seconds so typing does not ask Redis at every
    /// key; nothing when Redis does not answer.
    private func cached(_ key: String, _ read: (RedisConnection) throws -> [String]) -> [String] {
        let now = Date().timeIntervalSince1970
        if let hit = nameCache[key], now - hit.at < 5 { return hit.names }
        let names = (try? read(sharedConnection())) ?? []
        nameCache[key] = (names, now)
        return names
    }

    /// The queue names, for completion and for the default queue's guess.
    private func liveNames() -> [String] {
        cached("queues") { try Broker(connection: $0, prefix: context.prefix).queueNames().map(\.rawValue) }
    }

    // MARK: - History

    static func historyPath() -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard let base = environment["XDG_STATE_HOME"].map({ $0 }) ?? environment["HOME"].map({ $0 + "/.local/state" }) else { return nil }
        let folder = base + "/mqctl"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder + "/history"
    }

    /// Whether a line must stay out of the history: a word that the URL
    /// parser itself reads as carrying a password (every form it accepts,
    /// a password with `/`, `@` or a quoted space included), a
    /// password option or AUTH. A line that does not split into words is
    /// judged by its text: any `://…@` in it counts.
    static func holdsSecret(_ line: String) -> Bool {
        let lowered = line.lowercased()
        if lowered.contains("password") || lowered.hasPrefix("auth ") { return true }
        guard let words = try? LineTokenizer.split(line) else { return line.contains("://") && line.contains("@") }
        return words.contains { word in
            guard word.contains("://") else { return false }
            guard let configuration = try? RedisURL.parse(word) else { return word.contains("@") }
            return configuration.password != nil
        }
    }
}
