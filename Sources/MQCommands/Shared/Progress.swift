import Glibc
import MQFormat
import MQRedis

/// A one-line progress display on stderr for long bulk work: done, and
/// when the total is known done/total, percentage, rate and ETA
/// (`replayed 11,500/150,000  7%  2,300/s  ETA 1m4s`). Work read from
/// standard input knows no total, but when stdin is a regular file
/// (`< file`) the share of its bytes read gives the percentage and ETA
/// (`enqueued 12,000  45% of input  8,000/s  ETA 3s`).
///
/// Shown only when stderr is a terminal and not `--quiet`: never in pipes,
/// files or cron mail. Redrawn at most five times a second, cut to the
/// terminal's width so it never wraps, and wiped before anything else is
/// written to stderr (`BulkReport` does so before its summary).
final class Progress {
    private let sink: OutputSink?
    private let stderr: OutputSink
    private let width: Int
    let label: String
    /// What the run will take in all, when known.
    var total: Int?
    /// The bytes of stdin left when the run began, when stdin is a regular file.
    private var inputSize: Int?
    private var inputRead = 0
    private var started = monotonicSeconds()
    private var lastDraw = -1.0
    private var first: Mark?
    private var drawn = false

    init(context: CommandContext, label: String, total: Int? = nil) {
        let shown = Self.isShown(context)
        self.sink = shown ? context.stderr : nil
        self.stderr = context.stderr
        self.width = shown ? (context.stderr.terminalWidth ?? 80) : 80
        self.label = label
        self.total = total
    }

    /// Whether a command run in `context` shows progress at all: worth
    /// knowing before counting what a run will take only to show it.
    static func isShown(_ context: CommandContext) -> Bool {
        context.stderr.isTerminal && !context.quiet
    }

    var isShown: Bool { sink != nil }

    /// For work read from stdin: measures what is left of it when it is a
    /// regular file. Call before the first read.
    func measureInput() {
        guard sink != nil else { return }
        inputSize = Self.regularFileBytesLeft(descriptor: 0)
    }

    /// Counts `bytes` more of stdin read (a line and its newline).
    func read(bytes: Int) {
        inputRead += bytes
    }

    /// Restarts the clock: after a confirmation, whose wait is not work.
    func start() {
        started = monotonicSeconds()
        first = nil
    }

    func update(done: Int) {
        guard let sink else { return }
        let now = monotonicSeconds()
        guard now - lastDraw >= 0.2 else { return }
        lastDraw = now
        let fraction = total.flatMap { $0 > 0 ? Double(min(done, $0)) / Double($0) : nil } ?? inputFraction
        // The rate is measured from the first update, not the start: a first
        // batch done at once (before a --rate pause) would inflate it.
        let mark = first ?? Mark(time: started, done: 0, fraction: 0)
        if first == nil { first = Mark(time: now, done: done, fraction: fraction ?? 0) }
        let (rate, eta) = Self.estimate(done: done, fraction: fraction, since: mark, elapsed: now - mark.time)
        var line = "\r\u{1B}[K" + Self.text(label: label, done: done, total: total, inputFraction: inputFraction, rate: rate, eta: eta)
        // Never wider than the terminal: a wrapped line could not be redrawn in place.
        let room = max(10, width - 1) + 4
        if line.count > room { line = String(line.prefix(room)) }
        sink.write(line)
        sink.flush()
        drawn = true
    }

    /// Writes `text` to stderr (an error about one line of input, say),
    /// wiping the progress line first; the next update redraws it.
    func write(_ text: String) {
        finish()
        stderr.write(text)
    }

    /// Wipes the line, so what follows starts at a clean column 0.
    func finish() {
        guard let sink, drawn else { return }
        sink.write("\r\u{1B}[K")
        sink.flush()
        drawn = false
        lastDraw = -1
    }

    private var inputFraction: Double? {
        guard let inputSize, inputSize > 0 else { return nil }
        return min(Double(inputRead) / Double(inputSize), 0.99)
    }

    /// Where the rate is measured from: a time, the items done and the
    /// share of the work done then.
    struct Mark {
        var time: Double
        var done: Int
        var fraction: Double
    }

    /// Items a second and seconds left, from the work done in the
    /// `elapsed` seconds since `mark`; nil until they can be told.
    static func estimate(done: Int, fraction: Double?, since mark: Mark, elapsed: Double) -> (rate: Double?, eta: Double?) {
        guard elapsed >= 0.05, done > mark.done else { return (nil, nil) }
        let rate = Double(done - mark.done) / elapsed
        guard let fraction, fraction < 1, fraction > mark.fraction else { return (rate, nil) }
        return (rate, elapsed * (1 - fraction) / (fraction - mark.fraction))
    }

    /// The line without its redraw escapes. `inputFraction` is the share of
    /// the input read, for runs without a total.
    static func text(label: String, done: Int, total: Int?, inputFraction: Double? = nil, rate: Double?, eta: Double?) -> String {
        var parts: [String] = []
        if let total, total > 0 {
            let shown = min(done, total)
            parts.append("\(label) \(BulkReport.grouped(shown))/\(BulkReport.grouped(total))")
            parts.append("\(Int((Double(shown) / Double(total) * 100).rounded(.down)))%")
        } else {
            parts.append("\(label) \(BulkReport.grouped(done))")
            if let inputFraction { parts.append("\(Int((inputFraction * 100).rounded(.down)))% of input") }
        }
        if let rate { parts.append("\(BulkReport.grouped(Int(rate.rounded())))/s") }
        if let eta { parts.append("ETA " + Self.eta(eta)) }
        return parts.joined(separator: "  ")
    }

    /// Whole seconds, rounded up: `8s`, `1m4s`, `2h5m`.
    static func eta(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        let whole = max(1, seconds.rounded(.up))
        return whole < 60 ? "\(Int(whole))s" : TimeText.humanDuration(whole)
    }

    /// The bytes from the current offset to the end of `descriptor` when
    /// it is a regular file; nil for pipes, terminals and sockets.
    static func regularFileBytesLeft(descriptor: Int32) -> Int? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let offset = lseek(descriptor, 0, SEEK_CUR)
        return Int(info.st_size) - Int(max(offset, 0))
    }
}
