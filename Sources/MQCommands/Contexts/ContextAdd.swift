import ArgumentParser
import MQParsing

extension MQCtl.Context {
    struct Add: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Save the connection options given here under a name. (Changes the config file.)",
            discussion: """
                Takes the global connection options as they are given to it (--url, --user, \\
                --password-file, --prefix, --layout, --tls, --cacert, --cacertdir, --cert, --key, \\
                --sni, --insecure) and nothing from the environment. A URL that holds a \\
                password is refused. A name in use is refused (exit 1); `context rm` it first.

                Example: mqctl context add staging --url redis://10.0.0.9:6379/1 --prefix mq --use
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The context's name: letters, digits, '-' and '_'.") var name: String
        @Option(help: ArgumentHelp("A command that prints the password (its first line), e.g. 'pass show redis/prod'.", valueName: "command"))
        var passwordCommand: String?
        @Flag(help: "Make it the current context too.") var use = false

        func validate() throws {
            do { try ConnectionContext.validate(name: name) } catch { throw ValidationError("\(error)") }
            guard globals.url != nil else { throw ValidationError("give the context's --url") }
            guard !(globals.passwordFile != nil && passwordCommand != nil) else {
                throw ValidationError("give --password-file or --password-command, not both")
            }
            if let url = globals.url, (try? RedisURL.parse(url))?.password != nil {
                throw ValidationError("the URL holds a password, and the config file keeps none: give --password-file or --password-command")
            }
        }

        func run(in context: CommandContext) throws {
            _ = try RedisURL.parse(globals.url!)
            let saved = ConnectionContext(
                name: name, url: globals.url, user: globals.user, passwordFile: globals.passwordFile, passwordCommand: passwordCommand,
                prefix: globals.prefix, layout: globals.layout, tls: globals.tls, cacert: globals.cacert, cacertdir: globals.cacertdir,
                cert: globals.cert, key: globals.key, sni: globals.sni, insecure: globals.insecure)
            var file = try context.contextFile()
            try file.add(saved)
            if use { try file.use(name) }
            try context.output { $0.single(ContextRecords.record(saved, current: file.current)) }
        }
    }
}
