import FoundationEssentials
import Glibc
import MQRedis

/// Splits what a handler writes into lines, in time linear in its length
/// (each byte is searched once and moved a bounded number of times),
/// holding at most `limit` bytes of a line not yet ended.
struct LineReader {
    let limit: Int
    private var buffer: [UInt8] = []
    /// Where the next line begins.
    private var start = 0
    /// Where the search for the next newline resumes.
    private var searched = 0

    init(limit: Int) {
        self.limit = limit
    }

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        // Drop the lines taken once they are half the buffer or more.
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            searched -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete line, without its newline.
    mutating func nextLine() -> ArraySlice<UInt8>? {
        guard let newline = buffer[searched...].firstIndex(of: UInt8(ascii: "\n")) else {
            searched = buffer.count
            return nil
        }
        let line = buffer[start..<newline]
        start = newline + 1
        searched = start
        return line
    }

    /// The line not yet ended is longer than the limit: it will not be read.
    var overflowed: Bool { buffer.count - start > limit }
}

/// Passes on at most one warning per `interval`; those held back in
/// between are counted into the next that goes out, so a handler writing
/// garbage costs a log line a second, not one per line, and the count
/// still says how much there was.
final class WarningThrottle {
    private let interval: Double
    private let log: (String) -> Void
    private var lastLogged = -Double.infinity
    private var suppressed = 0

    init(interval: Double = 1, log: @escaping (String) -> Void) {
        self.interval = interval
        self.log = log
    }

    /// `message` is built only when it is logged.
    func warn(_ message: @autoclosure () -> String) {
        let now = monotonicSeconds()
        guard now - lastLogged >= interval else {
            suppressed += 1
            return
        }
        log(message() + suppressedNote)
        lastLogged = now
        suppressed = 0
    }

    /// Logs the count held back, if any: when the interval allows, or now.
    func flush(force: Bool = false) {
        let now = monotonicSeconds()
        guard suppressed > 0, force || now - lastLogged >= interval else { return }
        log("\(suppressed) more such warnings suppressed")
        lastLogged = now
        suppressed = 0
    }

    private var suppressedNote: String {
        suppressed == 0 ? "" : " (\(suppressed) similar warnings suppressed before it)"
    }
}
