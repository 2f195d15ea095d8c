import ArgumentParser
import FoundationEssentials
import Glibc
import MQParsing

/// What Tab offers in the shell, read from ArgumentParser's own model of
/// each command (the description behind `--experimental-dump-help`), so it
/// follows the commands as they change: subcommand names, the command's
/// options, the values of an option with fixed choices, and live names
/// where an argument names a queue, a stream or a stream's group. Live
/// names are asked for only when such an argument is being completed.
struct ShellCompletion {
    /// Where live names come from.
    struct Names {
        var queues: () -> [String]
        /// Streams whose names start with the prefix typed so far.
        var streams: (_ prefix: String) -> [String]
        var groups: (_ stream: String) -> [String]
    }

    /// The built-ins the shell adds at the top level.
    static let builtins = ["use", "connect", "help", "exit", "quit"]

    /// Options the shell fixed when it started, which a line does not
    /// change: the connection, the prefix, the config and layout.
    static let fixedByTheShell: Set<String> = [
        "--url", "--user", "--password-file", "--prefix", "--config", "--layout", "--timeout",
        "--tls", "--cacert", "--cacertdir", "--cert", "--key", "--sni", "--insecure", "--version",
    ]

    let names: Names
    private var models: [String: CommandModel] = [:]

    init(names: Names) {
        self.names = names
    }

    /// Candidates for the last word of `before` (the line up to the cursor).
    mutating func candidates(_ before: String) -> [String] {
        let words = (try? LineTokenizer.split(before)) ?? before.split(separator: " ").map(String.init)
        let endsWord = before.isEmpty || before.hasSuffix(" ")
        var complete = endsWord ? words : Array(words.dropLast())
        let current = endsWord ? "" : words.last ?? ""
        if complete.first == "mqctl" { complete.removeFirst() }
        switch complete.first {
        case "use": return complete.count == 1 ? names.queues() : []
        case "connect", "exit", "quit": return []
        case "help": complete.removeFirst()
        default: break
        }
        var command: ParsableCommand.Type = MQCtl.self
        var path: [String] = []
        for word in complete {
            guard let next = command.configuration.subcommands.first(where: { $0._commandName == word }) else { break }
            command = next
            path.append(word)
        }
        let subcommands = command.configuration.subcommands.map { $0._commandName }
        if !subcommands.isEmpty {
            guard path.count == complete.count else { return [] }
            return subcommands + (path.isEmpty && words.first != "help" ? Self.builtins : [])
        }
        if words.first == "help" { return [] }
        let model = self.model(of: command, path: path)
        return model.candidates(after: Array(complete.dropFirst(path.count)), current: current, names: names)
    }

    private mutating func model(of command: ParsableCommand.Type, path: [String]) -> CommandModel {
        let key = path.joined(separator: " ")
        if let model = models[key] { return model }
        let model = CommandModel(dump: command._dumpHelp())
        models[key] = model
        return model
    }
}

/// One command's arguments as ArgumentParser describes them.
struct CommandModel {
    struct Argument: Decodable {
        enum Kind: String, Decodable { case positional, option, flag }
        struct Name: Decodable {
            var kind: String
            var name: String
        }

        var kind: Kind
        var names: [Name]?
        var valueName: String?
        var allValues: [String]?
        var isRepeating: Bool
        var shouldDisplay: Bool

        /// `--format`, `-o`.
        var spellings: [String] {
            (names ?? []).map { $0.kind == "short" ? "-" + $0.name : "--" + $0.name }
        }

        var longName: String? { (names ?? []).first { $0.kind != "short" }.map { "--" + $0.name } }
    }

    private struct Dump: Decodable {
        struct Command: Decodable { var arguments: [Argument]? }
        var command: Command
    }

    let arguments: [Argument]

    init(dump: String) {
        let decoded = try? JSONDecoder().decode(Dump.self, from: Data(dump.utf8))
        arguments = (decoded?.command.arguments ?? []).filter(\.shouldDisplay)
    }

    private var positionals: [Argument] { arguments.filter { $0.kind == .positional } }

    private func option(spelled word: String) -> Argument? {
        arguments.first { $0.kind != .positional && $0.spellings.contains(word) }
    }

    /// Candidates after the words already typed past the command's name.
    func candidates(after words: [String], current: String, names: ShellCompletion.Names) -> [String] {
        // The value of an option that takes one.
        if let last = words.last, last.hasPrefix("-"), !last.contains("="),
           let option = option(spelled: last), option.kind == .option {
            return values(of: option, given: [], current: current, names: names)
        }
        var given: [String] = []
        var index = words.startIndex
        while index < words.endIndex {
            let word = words[index]
            // What follows `--` is a handler's command line, not ours.
            if word == "--" { return [] }
            if word.hasPrefix("-"), word.count > 1 {
                let takesValue = option(spelled: word)?.kind == .option && !word.contains("=")
                index += takesValue ? 2 : 1
            } else {
                given.append(word)
                index += 1
            }
        }
        if current.hasPrefix("-") { return optionNames() }
        let positionals = self.positionals
        guard let argument = given.count < positionals.count ? positionals[given.count]
                : positionals.last.flatMap({ $0.isRepeating ? $0 : nil }) else { return optionNames() }
        return values(of: argument, given: given, current: current, names: names)
    }

    private func optionNames() -> [String] {
        arguments.compactMap { argument in
            guard argument.kind != .positional, let name = argument.longName,
                  !ShellCompletion.fixedByTheShell.contains(name) else { return nil }
            return name
        }
    }

    /// What may stand for `argument`: its fixed values, or live names by
    /// what the argument is called.
    private func values(of argument: Argument, given: [String], current: String, names: ShellCompletion.Names) -> [String] {
        if let values = argument.allValues, !values.isEmpty { return values }
        switch argument.valueName {
        case "queue", "queues", "to-queue": return names.queues()
        case "stream", "dead-stream", "streams": return names.streams(current)
        case "group":
            // The group of the stream named before it.
            guard let stream = given.first else { return [] }
            return names.groups(stream)
        default: return []
        }
    }
}
