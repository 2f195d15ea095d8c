import ArgumentParser

/// A word where a command name goes that names none (`mqctl stat`,
/// `mqctl dlq lst x`, `mqctl help nosuch`), found before ArgumentParser
/// reads it as an unexpected argument, so the message names the command
/// and the nearest real one.
struct UnknownCommand {
    let word: String
    /// The commands before it (`dlq`).
    let path: [String]
    let known: [String]

    static func find(in arguments: [String], root: ParsableCommand.Type = MQCtl.self) -> UnknownCommand? {
        var command = root
        var path: [String] = []
        var words = arguments[...]
        if words.first == "help" { words = words.dropFirst() }
        while let word = words.first, !word.hasPrefix("-") {
            let subcommands = command.configuration.subcommands
            // A command without subcommands takes the rest as its arguments.
            guard !subcommands.isEmpty else { return nil }
            guard let next = subcommands.first(where: { $0._commandName == word }) else {
                return UnknownCommand(word: word, path: path, known: subcommands.map { $0._commandName } + (path.isEmpty ? ["help"] : []))
            }
            command = next
            path.append(word)
            words = words.dropFirst()
        }
        return nil
    }

    var message: String {
        "unknown command '\((["mqctl"] + path + [word]).joined(separator: " "))'"
    }

    var hint: String {
        let prefix = (["mqctl"] + path).joined(separator: " ")
        if let near = DidYouMean.nearest(word, among: known) { return "did you mean '\(prefix) \(near)'? See '\(prefix) --help'" }
        return "the commands are \(known.joined(separator: ", ")); see '\(prefix) --help'"
    }
}
