/// What a command run inside this process (a shell line, a dashboard's
/// read or action) inherits from the command that started it: every
/// global option, and the target in the environment, so no argument
/// repeats a password and each reaches the same server as the same user.
struct InheritedOptions {
    /// Options for every line, before a handler's `--`.
    let arguments: [String]
    /// The environment with the target (MQCTL_URL, MQCTL_PASSWORD).
    let environment: [String: String]

    /// `output`: also the output options (format, quiet, yes, colour),
    /// which a shell's lines share and the dashboard sets for itself.
    init(context: CommandContext, globals: GlobalOptions, output: Bool) {
        var options: [String] = []
        if let prefix = globals.prefix { options += ["--prefix", prefix] }
        if output {
            if let format = globals.format { options += ["--format", format.rawValue] }
            if globals.json { options.append("--json") }
            if globals.quiet { options.append("--quiet") }
            if globals.yes { options.append("--yes") }
            if globals.noColor { options.append("--no-color") }
        }
        options += ["--timeout", globals.timeout.description]
        // Every connection option reaches each line, so `work` and a
        // reconnect keep TLS, the ACL user and layouts.
        let valued: [(String, String?)] = [
            ("--user", globals.user), ("--password-file", globals.passwordFile), ("--config", globals.config),
            ("--layout", globals.layout), ("--cacert", globals.cacert), ("--cacertdir", globals.cacertdir),
            ("--cert", globals.cert), ("--key", globals.key), ("--sni", globals.sni),
        ]
        for (name, value) in valued { if let value { options += [name, value] } }
        // The context it started in, whatever `context use` does meanwhile.
        if let name = context.contextName { options += ["--context", name] }
        if globals.tls { options.append("--tls") }
        if globals.insecure { options.append("--insecure") }
        arguments = options
        var environment = context.environment
        environment["MQCTL_URL"] = context.configuration.description
        if let password = context.configuration.password { environment["MQCTL_PASSWORD"] = password }
        self.environment = environment
    }

    /// `words` with the options added before a handler's `--`, never after it.
    func line(_ words: [String]) -> [String] {
        let separator = words.firstIndex(of: "--") ?? words.endIndex
        return Array(words[..<separator]) + arguments + Array(words[separator...])
    }
}
