// Text edits Foundation's NSString bridge supplied; the binary leaves full
// Foundation (and ICU) out.

extension String {
    /// The text with every occurrence of `target` replaced, matching UTF-8
    /// bytes: key templates and escapes want exact bytes, and Swift's own
    /// replacing(_:with:) matches whole Characters, so it would miss the
    /// "\n" inside a "\r\n".
    public func replacingLiteral(_ target: String, with replacement: String) -> String {
        let bytes = Array(utf8), pattern = Array(target.utf8)
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return self }
        var out: [UInt8] = []
        var index = 0, copied = 0
        while index <= bytes.count - pattern.count {
            if bytes[index] == pattern[0], bytes[index..<index + pattern.count].elementsEqual(pattern) {
                out += bytes[copied..<index]
                out += replacement.utf8
                index += pattern.count
                copied = index
            } else {
                index += 1
            }
        }
        guard copied > 0 else { return self }
        out += bytes[copied...]
        return String(decoding: out, as: UTF8.self)
    }
}

extension StringProtocol {
    /// Without the leading and trailing characters that satisfy `predicate`.
    public func trimming(while predicate: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !predicate($0) }), let last = lastIndex(where: { !predicate($0) }) else { return "" }
        return String(self[first...last])
    }

    /// Without leading and trailing spaces and tabs.
    public func trimmingBlanks() -> String { trimming { $0 == " " || $0 == "\t" } }

    /// Without leading and trailing whitespace, newlines included.
    public func trimmingWhitespace() -> String { trimming(while: \.isWhitespace) }
}
