import ArgumentParser

extension MQCtl {
    struct Context: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "context",
            abstract: "Name connection settings once and use them by name: add, use, list, show, rm.",
            discussion: """
                A context keeps a URL, user, TLS files, prefix and layout under a name in the \\
                config file (mode 0600), as `nats context` and kubectl's contexts do. No password \\
                is stored: give --password-file, or --password-command for a command that prints \\
                one. `--context NAME` or $MQCTL_CONTEXT picks one for a command, else the one \\
                `context use` made current; what the command line or an MQCTL_* variable gives \\
                wins over the context's.

                Example: mqctl context add prod --url rediss://10.0.0.5:6380/0 --sni redis.prod.internal --password-command 'pass show redis/prod'
                Example: mqctl context use prod
                """,
            subcommands: [Add.self, Use.self, List.self, Show.self, Remove.self])
    }
}

extension CommandContext {
    /// The config file's contexts, for the `context` commands.
    func contextFile() throws -> ContextFile {
        guard let location = LayoutFile.location(option: configOption, environment: environment) else {
            throw UsageError("there is no config file to keep contexts in: set HOME, XDG_CONFIG_HOME or MQCTL_CONFIG, or give --config")
        }
        return try ContextFile(path: location.path)
    }
}
