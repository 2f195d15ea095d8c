import Glibc

/// Where rendered text goes: a file descriptor (stdout, stderr) through a
/// buffer, or memory (tests, the REPL's captured output).
public final class OutputSink {
    private enum Target {
        case descriptor(Int32)
        case memory
    }

    private let target: Target
    private var buffer: [UInt8] = []
    /// Everything written, for a memory sink.
    public private(set) var captured: [UInt8] = []

    private init(target: Target) {
        self.target = target
    }

    public static func descriptor(_ fd: Int32) -> OutputSink { OutputSink(target: .descriptor(fd)) }
    public static func memory() -> OutputSink { OutputSink(target: .memory) }

    public var text: String { String(decoding: captured, as: UTF8.self) }

    /// True when the sink is a terminal (never for memory).
    public var isTerminal: Bool {
        if case .descriptor(let fd) = target { return isatty(fd) == 1 }
        return false
    }

    /// Terminal width in columns, or nil when not a terminal.
    public var terminalWidth: Int? {
        guard case .descriptor(let fd) = target, isatty(fd) == 1 else { return nil }
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    public func write(_ text: String) {
        append(text.utf8)
    }

    /// Writes UTF-8 bytes as they are (renderers that build bytes).
    public func write(_ bytes: [UInt8]) {
        append(bytes)
    }

    private func append(_ bytes: some Sequence<UInt8>) {
        switch target {
        case .memory:
            captured.append(contentsOf: bytes)
        case .descriptor:
            buffer.append(contentsOf: bytes)
            if buffer.count >= 64 * 1024 { flush() }
        }
    }

    /// Flushes once a good amount is buffered: for streams of rows, so
    /// output flows and memory stays flat.
    public func flushIfLarge() {
        if buffer.count >= 16 * 1024 { flush() }
    }

    /// Sends buffered text to the descriptor. A reader that went away
    /// (EPIPE: `mqctl ... | head`) ends output quietly.
    public func flush() {
        guard case .descriptor(let fd) = target, !buffer.isEmpty else { return }
        var offset = 0
        buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { exit(0) }
                    return
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit {
        flush()
    }
}
