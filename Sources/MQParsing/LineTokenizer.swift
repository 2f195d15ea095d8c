/// Splits a REPL line into words the way a shell would, without expanding
/// anything: `'…'` keeps everything literally, `"…"` allows backslash
/// escapes, a backslash outside quotes escapes the next character, and an
/// unquoted `#` at the start of a word begins a comment.
public enum LineTokenizer {
    public struct UnbalancedQuote: Error, Equatable, CustomStringConvertible {
        public let quote: Character

        public var description: String { "unbalanced \(quote == "'" ? "single" : "double") quote" }
    }

    public struct TrailingBackslash: Error, CustomStringConvertible {
        public var description: String { "a backslash at the end of the line escapes nothing" }
    }

    public static func split(_ line: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            switch character {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            case "#" where !inWord:
                return words
            case "'":
                inWord = true
                var closed = false
                while let next = iterator.next() {
                    if next == "'" { closed = true; break }
                    current.append(next)
                }
                if !closed { throw UnbalancedQuote(quote: "'") }
            case "\"":
                inWord = true
                var closed = false
                while let next = iterator.next() {
                    if next == "\"" { closed = true; break }
                    if next == "\\" {
                        guard let escaped = iterator.next() else { break }
                        switch escaped {
                        case "n": current.append("\n")
                        case "t": current.append("\t")
                        case "\"", "\\", "$", "`": current.append(escaped)
                        default: current += "\\" + String(escaped)
                        }
                        continue
                    }
                    current.append(next)
                }
                if !closed { throw UnbalancedQuote(quote: "\"") }
            case "\\":
                guard let escaped = iterator.next() else { throw TrailingBackslash() }
                inWord = true
                current.append(escaped)
            default:
                inWord = true
                current.append(character)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
