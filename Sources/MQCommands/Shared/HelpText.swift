import ArgumentParser

/// The help screens as mqctl shows them. ArgumentParser prints titled
/// option groups before a command's own options, so every page would open
/// with two dozen global options; here the command's own OPTIONS come
/// first and GLOBAL OPTIONS after them, once. `mqctl --help` gets the
/// GLOBAL OPTIONS too, since the root command has none of its own.
enum HelpText {
    static let globalHeading = "GLOBAL OPTIONS:"
    private static let headings: Set<String> = ["ARGUMENTS:", globalHeading, "OPTIONS:", "SUBCOMMANDS:"]

    static func arranged(_ text: String, isRoot: Bool) -> String {
        var sections = split(text)
        if isRoot, !sections.contains(where: { $0.heading == globalHeading }) {
            let options = split(GlobalOptions.helpMessage()).first { $0.heading == "OPTIONS:" }
            if let options, let at = sections.firstIndex(where: { $0.heading == "SUBCOMMANDS:" }) {
                sections.insert((globalHeading, [globalHeading] + options.lines.dropFirst()), at: at)
            }
        }
        if let global = sections.firstIndex(where: { $0.heading == globalHeading }),
           let own = sections.firstIndex(where: { $0.heading == "OPTIONS:" }), own > global {
            let moved = sections.remove(at: global)
            sections.insert(moved, at: own)
        }
        // One blank line between sections, wherever they now stand.
        return sections.map { section in
            var lines = section.lines
            while lines.last?.isEmpty == true { lines.removeLast() }
            return lines.joined(separator: "\n")
        }.filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    /// The text in sections: what comes before the first heading, then one
    /// section per heading, blank lines kept with the section they end.
    private static func split(_ text: String) -> [(heading: String?, lines: [String])] {
        var sections: [(heading: String?, lines: [String])] = [(nil, [])]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if headings.contains(line) {
                sections.append((line, [line]))
            } else {
                sections[sections.count - 1].lines.append(line)
            }
        }
        return sections
    }
}
