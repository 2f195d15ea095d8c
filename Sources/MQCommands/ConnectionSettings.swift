import FoundationEssentials
import Glibc
import MQCore
import MQParsing
import MQRedis

/// Where mqctl connects and as whom, resolved one way for the commands,
/// the shell's `connect` and shell completion. Each setting comes from the
/// first that gives it: the command line, mqctl's own environment
/// variables (MQCTL_URL, MQCTL_PASSWORD, MQCTL_PREFIX), the context in
/// effect (`--context`, else $MQCTL_CONTEXT, else the config file's
/// current_context), the generic ones (REDIS_URL, REDISCLI_AUTH), the
/// default. A context is a named set of defaults, so what is given on the
/// spot always wins. (The password: --password-file, the URL's,
/// $MQCTL_PASSWORD, the context's, $REDISCLI_AUTH.)
enum ConnectionSettings {
    static let defaultURL = "redis://127.0.0.1:6379/0"

    static func url(given: String?, context: ConnectionContext? = nil, environment: [String: String]) -> String {
        given ?? environment["MQCTL_URL"] ?? context?.url ?? environment["REDIS_URL"] ?? defaultURL
    }

    /// The password when neither the URL nor --password-file gives one
    /// (the context's is `contextPassword`, read only when connecting).
    static func password(environment: [String: String]) -> String? {
        environment["MQCTL_PASSWORD"] ?? environment["REDISCLI_AUTH"]
    }

    /// The context's password_file or password_command, when it has one
    /// and $MQCTL_PASSWORD does not come first: a reader to call when a
    /// connection is made, so `context list` runs no password command.
    static func contextPassword(_ context: ConnectionContext?, environment: [String: String]) -> (() throws -> String)? {
        guard environment["MQCTL_PASSWORD"] == nil, let context else { return nil }
        if let path = context.passwordFile { return { try firstLine(ofPasswordFile: path) } }
        if let command = context.passwordCommand { return { try run(passwordCommand: command, of: context.name) } }
        return nil
    }

    /// `url` parsed, its password filled in from the environment when it
    /// carries none.
    static func configuration(url: String, timeout: Double, environment: [String: String]) throws -> RedisConfiguration {
        var configuration = try RedisURL.parse(url, timeout: timeout)
        if configuration.password == nil { configuration.password = password(environment: environment) }
        return configuration
    }

    /// The context in effect, nil when none. The config file is read only
    /// when a context is named or the file says `current_context`.
    static func context(named option: String?, configOption: String?, environment: [String: String]) throws -> ConnectionContext? {
        let named = option ?? environment["MQCTL_CONTEXT"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = LayoutFile.location(option: configOption, environment: environment)?.path else {
            if let named { throw UsageError("context '\(named)': there is no config file to read it from (set HOME or MQCTL_CONFIG)") }
            return nil
        }
        guard let named else {
            // Parsed only when it may name a current context.
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            let text = String(decoding: data, as: UTF8.self)
            guard text.contains("current_context") else { return nil }
            let file = try ContextFile(path: path, text: text)
            return try file.current.map(file.context(named:))
        }
        return try ContextFile(path: path).context(named: named)
    }

    /// The first line of a password file, without its line ending.
    static func firstLine(ofPasswordFile path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("cannot read the password file '\(path)'")
        }
        guard let line = firstLine(of: data) else { throw UsageError("the password file '\(path)' is empty") }
        return line
    }

    /// The first line of `data`, without its line ending; nil when empty.
    private static func firstLine(of data: Data) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.isEmpty ? nil : line
    }

    /// The first line a context's password_command prints (`pass show
    /// redis/prod`, a vault client); run by /bin/sh, its stderr left to the
    /// terminal so it can ask for a passphrase.
    private static func run(passwordCommand command: String, of context: String) throws -> String {
        let (output, exitCode) = try ShellCommand.output(of: command, environment: ProcessInfo.processInfo.environment)
        guard exitCode == 0 else {
            throw CommandFailure("the password_command of context '\(context)' failed (exit \(exitCode)): \(command)")
        }
        guard let line = firstLine(of: Data(output)) else {
            throw CommandFailure("the password_command of context '\(context)' printed nothing: \(command)")
        }
        return line
    }
}
