import ArgumentParser

extension MQCtl {
    struct Completion: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "completion",
            abstract: "Print the shell completion script for bash, zsh or fish.",
            discussion: """
                Queue names complete from the server named by the URL options or $MQCTL_URL.

                Example: mqctl completion bash > /etc/bash_completion.d/mqctl
                Example: mqctl completion zsh > "${fpath[1]}/_mqctl"
                Example: mqctl completion fish > ~/.config/fish/completions/mqctl.fish
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @Argument(help: "bash, zsh or fish.")
        var shell: Shell

        enum Shell: String, CaseIterable, ExpressibleByArgument {
            case bash, zsh, fish

            var completionShell: CompletionShell {
                switch self {
                case .bash: .bash
                case .zsh: .zsh
                case .fish: .fish
                }
            }
        }

        func run(in context: CommandContext) throws {
            context.stdout.write(MQCtl.completionScript(for: shell.completionShell))
        }
    }
}
