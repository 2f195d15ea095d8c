import Glibc
import MQCore

/// Standard input as commands see it: the process's descriptor 0, or bytes
/// given by a test or the REPL. Read in blocks, split into lines here, in
/// time linear in the input however long its lines are.
public final class InputSource {
    /// The longest line `nextLine` returns: 512 MiB, the largest string
    /// Redis takes (its proto-max-bulk-len default), so a longer line could
    /// not be stored anyway.
    public static let defaultMaximumLineLength = 512 * 1024 * 1024

    /// A line longer than the maximum. It has been read past and dropped,
    /// so the next read goes on with the line after it.
    public struct LineTooLong: Error, Equatable, CustomStringConvertible {
        public let maximum: Int

        public init(maximum: Int) {
            self.maximum = maximum
        }

        public var description: String {
            let size = maximum % (1024 * 1024) == 0 ? "\(maximum / (1024 * 1024)) MiB" : "\(maximum) bytes"
            return "the line is longer than \(size), the most a line may hold"
        }
    }

    private let fd: Int32?
    private let maximumLineLength: Int
    private var buffer: [UInt8]
    /// Where the unread bytes start.
    private var position = 0
    /// How far from `position` the bytes are known to hold no newline, so
    /// each block read is searched once.
    private var scanned = 0
    /// Set while dropping the rest of an over-long line.
    private var skipping = false
    private var ended: Bool

    private init(fd: Int32?, bytes: [UInt8], maximumLineLength: Int) {
        self.fd = fd
        self.buffer = bytes
        self.ended = fd == nil
        self.maximumLineLength = maximumLineLength
    }

    public static func descriptor(_ fd: Int32, maximumLineLength: Int = defaultMaximumLineLength) -> InputSource {
        InputSource(fd: fd, bytes: [], maximumLineLength: maximumLineLength)
    }

    public static func memory(_ bytes: [UInt8], maximumLineLength: Int = defaultMaximumLineLength) -> InputSource {
        InputSource(fd: nil, bytes: bytes, maximumLineLength: maximumLineLength)
    }

    public static func memory(_ text: String) -> InputSource { memory(Array(text.utf8)) }

    public var isTerminal: Bool { fd.map { isatty($0) == 1 } ?? false }

    /// The next line without its "\n" (other bytes, "\r" included, kept as
    /// they are), or nil at end of input. A last line without "\n" counts.
    /// A line over the maximum length is a failure for that line alone, so
    /// a caller reports it by its number and reads on.
    public func nextLine() -> Result<[UInt8], LineTooLong>? {
        line(upTo: maximumLineLength)
    }

    /// The next line with no length limit, for what a person types (the
    /// shell's commands, answers to confirmations). Input of any size goes
    /// through `nextLine`.
    public func readLine() -> [UInt8]? {
        // No line is longer than Int.max bytes, so this is never a failure.
        guard case .success(let line)? = line(upTo: .max) else { return nil }
        return line
    }

    private func line(upTo limit: Int) -> Result<[UInt8], LineTooLong>? {
        while true {
            if let newline = firstNewline() {
                let start = position
                position = newline + 1
                scanned = position
                if skipping || newline - start > limit {
                    skipping = false
                    return .failure(LineTooLong(maximum: limit))
                }
                return .success(Array(buffer[start..<newline]))
            }
            scanned = buffer.count
            if buffer.count - position > limit {
                // Keep none of it: memory stays near the limit whatever comes.
                skipping = true
                position = buffer.count
                scanned = position
            }
            if ended {
                guard position < buffer.count || skipping else { return nil }
                let start = position
                position = buffer.count
                scanned = position
                if skipping {
                    skipping = false
                    return .failure(LineTooLong(maximum: limit))
                }
                return .success(Array(buffer[start...]))
            }
            fill()
        }
    }

    /// True for a line of spaces, tabs and carriage returns only.
    public static func isBlank(_ line: [UInt8]) -> Bool {
        line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
    }

    /// The bytes of a file named by `option`, whatever kind of file it is
    /// (`-f /dev/null`, a FIFO, `<(cmd)`); exit 66 with the reason when it
    /// cannot be opened.
    public static func contents(ofFile path: String, option: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UnreadableFile(option: option, path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        return descriptor(fd).readAll()
    }

    /// Everything left.
    public func readAll() -> [UInt8] {
        while !ended { fill() }
        defer { position = buffer.count; scanned = position }
        return Array(buffer[position...])
    }

    /// The index of the first "\n" at or after `scanned`.
    private func firstNewline() -> Int? {
        buffer.withUnsafeBufferPointer { bytes in
            guard scanned < bytes.count,
                  let found = memchr(bytes.baseAddress! + scanned, Int32(UInt8(ascii: "\n")), bytes.count - scanned) else { return nil }
            return UnsafeRawPointer(bytes.baseAddress!).distance(to: UnsafeRawPointer(found))
        }
    }

    /// Where each read lands before it joins the buffer; one for all reads.
    private var block = [UInt8](repeating: 0, count: 64 * 1024)

    /// Reads one block onto the end of the buffer, first dropping the bytes
    /// already returned once they are at least half of it: each byte is
    /// moved a bounded number of times on average.
    private func fill() {
        guard let fd else { ended = true; return }
        if position > 0, position >= buffer.count / 2 {
            buffer.removeFirst(position)
            scanned -= position
            position = 0
        }
        let count = block.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if count > 0 {
            buffer.append(contentsOf: block[..<count])
        } else if count == 0 || errno != EINTR || Interruption.requested {
            // A signal a bulk command catches ends the input; the command
            // then stops at its next checkpoint, saying what it did.
            ended = true
        }
    }
}
