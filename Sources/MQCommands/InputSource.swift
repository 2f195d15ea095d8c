import Glibc

/// Standard input as commands see it: the process's descriptor 0, or bytes
/// given by a test or the REPL. Read in blocks, split into lines here.
public final class InputSource {
    private let fd: Int32?
    private var buffer: [UInt8]
    private var position = 0
    private var ended: Bool

    private init(fd: Int32?, bytes: [UInt8]) {
        self.fd = fd
        self.buffer = bytes
        self.ended = fd == nil
    }

    public static func descriptor(_ fd: Int32) -> InputSource { InputSource(fd: fd, bytes: []) }
    public static func memory(_ bytes: [UInt8]) -> InputSource { InputSource(fd: nil, bytes: bytes) }
    public static func memory(_ text: String) -> InputSource { memory(Array(text.utf8)) }

    public var isTerminal: Bool { fd.map { isatty($0) == 1 } ?? false }

    /// The next line without its "\n" (other bytes, "\r" included, kept as
    /// they are), or nil at end of input. A last line without "\n" counts.
    public func readLine() -> [UInt8]? {
        while true {
            if let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                defer { position = newline + 1 }
                return Array(buffer[position..<newline])
            }
            if ended {
                guard position < buffer.count else { return nil }
                defer { position = buffer.count }
                return Array(buffer[position...])
            }
            fill()
        }
    }

    /// True for a line of spaces, tabs and carriage returns only.
    public static func isBlank(_ line: [UInt8]) -> Bool {
        line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
    }

    /// Everything left.
    public func readAll() -> [UInt8] {
        while !ended { fill() }
        defer { position = buffer.count }
        return Array(buffer[position...])
    }

    private func fill() {
        guard let fd else { ended = true; return }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if count > 0 {
            buffer.append(contentsOf: chunk[..<count])
        } else if count == 0 || errno != EINTR {
            ended = true
        }
    }
}
