import MQFormat
import MQRedis

/// A one-line progress display on stderr for long bulk work: done, total
/// when known, rate and ETA. Only when stderr is a terminal and not
/// `--quiet`: never in pipes or cron.
final class Progress {
    private let sink: OutputSink?
    private let label: String
    private let total: Int?
    private let started = monotonicSeconds()
    private var lastDraw = 0.0

    init(context: CommandContext, label: String, total: Int? = nil) {
        self.sink = context.stderr.isTerminal && !context.quiet ? context.stderr : nil
        self.label = label
        self.total = total
    }

    func update(done: Int) {
        guard let sink else { return }
        let now = monotonicSeconds()
        guard now - lastDraw >= 0.2 else { return }
        lastDraw = now
        let rate = Double(done) / max(now - started, 0.001)
        var line = "\r\u{1B}[K\(label) \(done)"
        if let total {
            line += "/\(total)"
            if rate > 0 { line += "  ETA \(TimeText.humanDuration(Double(total - done) / rate))" }
        }
        line += "  \(Int(rate))/s"
        sink.write(line)
        sink.flush()
    }

    func finish() {
        guard let sink, lastDraw > 0 else { return }
        sink.write("\r\u{1B}[K")
        sink.flush()
    }
}

