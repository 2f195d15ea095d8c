/// What a piece of text means on screen; the palette turns it into colour.
public enum Style: Sendable {
    case plain, dim, bold, heading, selected, ok, warning, critical, accent
}

/// How many colours the terminal shows: 256, the 16 of ANSI, or none
/// (NO_COLOR, --color never, a dumb terminal), where emphasis is bold
/// and reverse video alone.
public enum Palette: Sendable {
    case colors256, colors16, none

    /// From the environment the program runs in: NO_COLOR (set, not
    /// empty) wins, then TERM and COLORTERM.
    public static func detect(environment: [String: String], colorAllowed: Bool) -> Palette {
        if !colorAllowed || !(environment["NO_COLOR"] ?? "").isEmpty { return .none }
        let term = environment["TERM"] ?? ""
        if term == "dumb" { return .none }
        if term.contains("256color") || environment["COLORTERM"] != nil { return .colors256 }
        return .colors16
    }

    /// The SGR sequence that starts `style`.
    func start(_ style: Style) -> String {
        let code: String
        switch (self, style) {
        case (_, .plain): return ""
        case (_, .bold): code = "1"
        case (_, .selected): code = "7"
        case (.none, .heading): code = "1"
        case (.none, .critical): code = "1"
        case (.none, _): return ""
        case (.colors256, .dim): code = "38;5;245"
        case (.colors256, .heading): code = "1;38;5;39"
        case (.colors256, .ok): code = "38;5;71"
        case (.colors256, .warning): code = "38;5;214"
        case (.colors256, .critical): code = "1;38;5;196"
        case (.colors256, .accent): code = "38;5;111"
        case (.colors16, .dim): code = "2"
        case (.colors16, .heading): code = "1;36"
        case (.colors16, .ok): code = "32"
        case (.colors16, .warning): code = "33"
        case (.colors16, .critical): code = "1;31"
        case (.colors16, .accent): code = "34"
        }
        return "\u{1B}[\(code)m"
    }
}

/// One frame: lines of styled spans, drawn whole, each line cut to the
/// width and cleared to its end, so a shorter frame leaves nothing behind
/// and a narrow terminal never wraps.
public struct Screen {
    public let rows: Int
    public let columns: Int
    private var lines: [[(text: String, style: Style)]] = []

    public init(rows: Int, columns: Int) {
        self.rows = max(1, rows)
        self.columns = max(1, columns)
    }

    public var freeRows: Int { rows - lines.count }

    /// Adds a line of spans (ignored once the screen is full).
    public mutating func line(_ spans: [(text: String, style: Style)]) {
        guard lines.count < rows else { return }
        lines.append(spans)
    }

    public mutating func line(_ text: String = "", _ style: Style = .plain) { line([(text, style)]) }

    /// Blank lines down to `count` rows from the bottom.
    public mutating func fill(leaving count: Int) {
        while lines.count < rows - count { lines.append([]) }
    }

    /// The bytes that draw the frame from the top left.
    public func render(palette: Palette) -> [UInt8] {
        var out = "\u{1B}[H"
        for (index, spans) in lines.enumerated() {
            var left = columns
            for span in spans where left > 0 {
                let text = Self.visible(span.text, width: left)
                left -= text.count
                let start = palette.start(span.style)
                out += start.isEmpty ? text : start + text + "\u{1B}[0m"
            }
            out += "\u{1B}[K"
            if index < lines.count - 1 { out += "\r\n" }
        }
        out += "\u{1B}[J"
        return Array(out.utf8)
    }

    /// At most `width` characters of `text`, control characters shown as
    /// `?` so stored bytes cannot drive the terminal.
    static func visible(_ text: String, width: Int) -> String {
        var out = ""
        var count = 0
        for character in text {
            guard count < width else { break }
            out.append(character.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) } ? "?" : character)
            count += 1
        }
        return out
    }
}
