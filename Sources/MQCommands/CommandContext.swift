import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQParsing
import MQRedis

/// What a command runs with: resolved settings, output streams and one
/// shared connection, opened on first use. Built once per command from its
/// global options, so no command reads the environment or opens a
/// connection of its own.
public final class CommandContext {
    public private(set) var configuration: RedisConfiguration
    /// The context's password, read when a connection is made.
    private var deferredPassword: (() throws -> String)?
    /// The context the settings came from, if one was in effect.
    public let contextName: String?
    public let prefix: String
    public let format: OutputFormat
    public let quiet: Bool
    public let assumeYes: Bool
    public let color: Bool
    /// Cut table cells to the terminal's width (not with `--no-trunc`).
    public let truncate: Bool
    public let stdin: InputSource
    /// For `work`: the handler command line given after `--`.
    public var handlerCommand: [String] = []
    public let stdout: OutputSink
    public let stderr: OutputSink
    /// `--config` and `--layout`, read by `QueueResolution`.
    let configOption: String?
    let layoutOption: String?
    let environment: [String: String]
    var loadedLayouts: LayoutFile?
    private var openConnection: RedisConnection?
    /// False for a connection lent by the REPL, which outlives the command.
    var ownsConnection = true

    public init(
        globals: GlobalOptions, environment: [String: String], stdin: InputSource, stdout: OutputSink, stderr: OutputSink
    ) throws {
        let context = try ConnectionSettings.context(named: globals.context, configOption: globals.config, environment: environment)
        let urlText = ConnectionSettings.url(given: globals.url, context: context, environment: environment)
        var configuration = try RedisURL.parse(urlText, timeout: globals.timeout.seconds)
        if globals.url != nil, configuration.password != nil {
            stderr.write(
                "mqctl: warning: a password on the command line can be read by other users (ps, shell history); "
                    + "use MQCTL_PASSWORD or --password-file instead\n")
        }
        if let user = globals.user ?? (configuration.username == nil ? context?.user : nil) {
            configuration.username = user
        }
        if let tls = Self.tls(globals, context) {
            guard case .tcp = configuration.endpoint else {
                throw UsageError("TLS needs a redis:// or rediss:// address, not a Unix socket")
            }
            configuration.tls = tls
            // A file that cannot be read is the caller's, not the server's (EX_NOINPUT).
            for (option, path) in [("--cacert", tls.caFile), ("--cert", tls.certificate), ("--key", tls.key)] {
                guard let path, !FileManager.default.isReadableFile(atPath: path) else { continue }
                throw UnreadableFile(option: option, path: path)
            }
        }
        if configuration.tls?.insecure == true {
            stderr.write("mqctl: warning: --insecure: the server's certificate and name are not checked\n")
        }
        if let path = globals.passwordFile {
            configuration.password = try ConnectionSettings.firstLine(ofPasswordFile: path)
        } else if configuration.password == nil {
            deferredPassword = ConnectionSettings.contextPassword(context, environment: environment)
            if deferredPassword == nil { configuration.password = ConnectionSettings.password(environment: environment) }
        }
        self.configuration = configuration
        self.contextName = context?.name
        self.prefix = globals.prefix ?? environment["MQCTL_PREFIX"] ?? context?.prefix ?? "mq"
        self.format = globals.json ? .json : (globals.format ?? .table)
        self.quiet = globals.quiet
        self.assumeYes = globals.yes
        self.color = (globals.noColor ? .never : globals.color).enabled(terminal: stdout.isTerminal, environment: environment)
        self.truncate = !globals.noTrunc
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.configOption = globals.config
        self.layoutOption = globals.layout ?? context?.layout
        self.environment = environment
    }

    /// The TLS options: the command line's, each filled in from the
    /// context where the command line leaves it out; nil for neither.
    private static func tls(_ globals: GlobalOptions, _ context: ConnectionContext?) -> TLSOptions? {
        guard let context, context.tls || context.cacert != nil || context.cacertdir != nil || context.cert != nil
                || context.key != nil || context.sni != nil || context.insecure else { return globals.tlsOptions }
        return TLSOptions(caFile: globals.cacert ?? context.cacert, caDirectory: globals.cacertdir ?? context.cacertdir,
                          certificate: globals.cert ?? context.cert, key: globals.key ?? context.key,
                          serverName: globals.sni ?? context.sni, insecure: globals.insecure || context.insecure)
    }

    /// The settings to connect with: `configuration` and, read now, the
    /// context's password (its password_file or password_command).
    public func connectingConfiguration() throws -> RedisConfiguration {
        guard let deferredPassword else { return configuration }
        var connecting = configuration
        connecting.password = try deferredPassword()
        self.configuration = connecting
        self.deferredPassword = nil
        return connecting
    }

    /// The connection, opened (and authenticated) on first use.
    public func connection() throws -> RedisConnection {
        if let openConnection { return openConnection }
        let connection = try RedisConnection(configuration: try connectingConfiguration())
        openConnection = connection
        return connection
    }

    /// The queue core over the connection, with the chosen prefix.
    public func broker() throws -> Broker {
        Broker(connection: try connection(), prefix: prefix)
    }

    /// A WRONGTYPE reply named as the key that holds the wrong type, when
    /// Redis can still tell; any other error as it is.
    func explained(_ error: Error) -> Error {
        guard let error = error as? RedisServerError else { return error }
        if let refusal = MQError(scriptRefusal: error) { return refusal }
        guard error.kind == .wrongType, let explanation = try? broker().explain(error) else { return error }
        return explanation
    }

    /// Asks before a destructive change. `--yes` answers for the user;
    /// without it a terminal is asked, and anything else is refused with
    /// nothing changed.
    public func confirm(_ question: String) throws {
        if assumeYes { return }
        guard stdin.isTerminal else {
            throw UsageError("\(question) Refusing without --yes, since stdin is not a terminal; nothing was changed")
        }
        stderr.write("\(question) [y/N] ")
        stderr.flush()
        let answer = stdin.readLine().map { String(decoding: $0, as: UTF8.self).lowercased() } ?? ""
        guard answer == "y" || answer == "yes" else {
            throw CommandFailure("cancelled; nothing was changed")
        }
    }

    /// Renders the values only when not `--quiet`.
    public func output(_ body: (Renderer) throws -> Void) throws {
        guard !quiet else { return }
        try body(try renderer())
    }

    /// Uses `connection` (the REPL's) instead of opening one.
    func lend(_ connection: RedisConnection) {
        openConnection = connection
        ownsConnection = false
    }

    public func close() {
        if ownsConnection { openConnection?.close() }
        openConnection = nil
    }

    /// A renderer in the chosen format writing to stdout; `watching`
    /// renders each list as one record (a draw of `--watch`).
    public func renderer(watching: Bool = false) throws -> Renderer {
        guard format != .prometheus else {
            throw UsageError("-o prometheus is offered by stats only; use table, json, ndjson or csv")
        }
        return format.renderer(to: stdout, options: RenderOptions(width: stdout.terminalWidth, color: color, truncate: truncate), watching: watching)
    }
}

/// A file named on the command line that cannot be read (exit 66).
public struct UnreadableFile: Error, CustomStringConvertible {
    public let option: String
    public let path: String
    public var reason = "no such file, or no permission"

    public var description: String { "cannot read \(option) \(path): \(reason)" }
}

/// An operation that ran but did not succeed (exit 1), with its reason
/// and an optional hint, printed on a line of its own.
public struct CommandFailure: Error, CustomStringConvertible {
    public let message: String
    public let hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String {
        hint.map { "\(message)\nhint: \($0)" } ?? message
    }
}

/// A mistake in how mqctl was called that ArgumentParser cannot see
/// (a file that cannot be read, options that conflict at run time).
public struct UsageError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
