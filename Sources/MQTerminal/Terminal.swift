import Glibc

/// A key read from the terminal in raw mode.
public enum Key: Equatable, Sendable {
    case character(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace
    /// Ctrl-C: raw mode turns it into a byte, not a SIGINT.
    case interrupt
}

/// The controlling terminal for a full-screen program: raw mode and the
/// alternate screen while it runs, everything put back by `restore`
/// (on every way out: a key, SIGTERM, an error). Keys come from `input`,
/// frames go to `output`, both the same terminal.
public final class Terminal {
    public let input: Int32
    public let output: Int32
    private var saved = termios()
    private var entered = false
    private var pending: [UInt8] = []

    /// Set by SIGWINCH; `readKey` returns early so the caller redraws.
    nonisolated(unsafe) private static var resized: sig_atomic_t = 0

    /// Nil when `input` or `output` is not a terminal.
    public init?(input: Int32 = 0, output: Int32 = 1) {
        guard isatty(input) == 1, isatty(output) == 1 else { return nil }
        self.input = input
        self.output = output
    }

    deinit { restore() }

    /// Raw input (no echo, no line buffering, no signals from keys, no
    /// CR/LF translation), the alternate screen, no cursor.
    public func enter() {
        guard !entered, tcgetattr(input, &saved) == 0 else { return }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL | INLCR | ISTRIP)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        tcsetattr(input, TCSAFLUSH, &raw)
        entered = true
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Terminal.resized = 1 }
        sigemptyset(&action.sa_mask)
        sigaction(SIGWINCH, &action, nil)
        write(Array("\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J".utf8))
    }

    /// The terminal as it was before `enter`. Safe to call more than once.
    public func restore() {
        guard entered else { return }
        entered = false
        signal(SIGWINCH, SIG_DFL)
        write(Array("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l".utf8))
        tcsetattr(input, TCSAFLUSH, &saved)
    }

    /// Rows and columns (24×80 when the terminal will not say).
    public var size: (rows: Int, columns: Int) {
        var window = winsize()
        guard ioctl(output, UInt(TIOCGWINSZ), &window) == 0, window.ws_row > 0, window.ws_col > 0 else { return (24, 80) }
        return (Int(window.ws_row), Int(window.ws_col))
    }

    /// True once after each resize.
    public func takeResize() -> Bool {
        defer { Terminal.resized = 0 }
        return Terminal.resized != 0
    }

    /// Writes all of `bytes`, retrying short writes.
    public func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(output, $0.baseAddress, $0.count) }
            if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { return }
        }
    }

    /// The next key, waiting at most `timeout` seconds; nil when none came,
    /// or a signal (a resize, SIGTERM) cut the wait short.
    public func readKey(timeout: Double) -> Key? {
        if pending.isEmpty {
            var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(max(0, timeout) * 1000)) > 0 else { return nil }
            fill()
            // An escape sequence arrives in pieces over a slow link: give the rest a moment.
            if pending == [0x1B] {
                var more = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
                if poll(&more, 1, 30) > 0 { fill() }
            }
        }
        return pending.isEmpty ? nil : decode()
    }

    private func fill() {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(input, &buffer, buffer.count)
        if count > 0 { pending += buffer[..<count] }
    }

    /// Takes one key off `pending`: a byte, a UTF-8 character, or an
    /// escape sequence (CSI and SS3 forms of the arrows and paging keys).
    private func decode() -> Key {
        let first = pending.removeFirst()
        switch first {
        case 0x03: return .interrupt
        case 0x09: return .tab
        case 0x0D, 0x0A: return .enter
        case 0x7F, 0x08: return .backspace
        case 0x1B:
            guard let next = pending.first, next == UInt8(ascii: "[") || next == UInt8(ascii: "O") else { return .escape }
            pending.removeFirst()
            // Parameters, then the final byte (0x40...0x7E).
            var parameters: [UInt8] = []
            while let byte = pending.first, !(0x40...0x7E).contains(byte) {
                parameters.append(pending.removeFirst())
            }
            guard !pending.isEmpty else { return .escape }
            let final = pending.removeFirst()
            switch (final, String(decoding: parameters, as: UTF8.self)) {
            case (UInt8(ascii: "A"), _): return .up
            case (UInt8(ascii: "B"), _): return .down
            case (UInt8(ascii: "C"), _): return .right
            case (UInt8(ascii: "D"), _): return .left
            case (UInt8(ascii: "H"), _), (UInt8(ascii: "~"), "1"), (UInt8(ascii: "~"), "7"): return .home
            case (UInt8(ascii: "F"), _), (UInt8(ascii: "~"), "4"), (UInt8(ascii: "~"), "8"): return .end
            case (UInt8(ascii: "~"), "5"): return .pageUp
            case (UInt8(ascii: "~"), "6"): return .pageDown
            case (UInt8(ascii: "Z"), _): return .backTab
            default: return .escape
            }
        case 0x00..<0x20: return .escape
        default:
            // A UTF-8 character: its continuation bytes are in the same read.
            var bytes = [first]
            while let byte = pending.first, byte & 0xC0 == 0x80 { bytes.append(pending.removeFirst()) }
            return .character(String(decoding: bytes, as: UTF8.self).first ?? "?")
        }
    }
}
