import MQCore
import MQFormat
import MQParsing
import MQRedis

/// `--watch`: draws again every interval until Ctrl-C. A table is redrawn
/// in place on a terminal (cursor home, clear) and printed one after
/// another in a pipe, with no escape codes; ndjson and json-seq stream one
/// record per draw, as `kubectl get -w -o json` does. Other formats are
/// refused: a JSON document or CSV has no "next draw".
struct Watch {
    let context: CommandContext
    let interval: DurationValue
    let title: String

    init(_ context: CommandContext, interval: DurationValue, title: String) throws {
        guard OutputFormat.watches.contains(context.format) else {
            throw UsageError("--watch draws a table or streams ndjson or json-seq (one record per draw); -o \(context.format.rawValue) cannot")
        }
        self.context = context
        self.interval = interval
        self.title = title
    }

    /// Calls `draw` with a fresh renderer every interval, reconnecting
    /// (and saying so on stderr) when Redis drops; stops on Ctrl-C.
    func run(on connection: RedisConnection, _ draw: (Renderer) throws -> Void) throws {
        while !Interruption.requested {
            try connection.withReconnect(onRetry: { error, _, delay in
                context.stderr.write("mqctl: \(error); retrying in \(TimeText.humanDuration(delay))\n")
                context.stderr.flush()
            }) { _ in
                if context.format.isTable {
                    if context.stdout.isTerminal { context.stdout.write("\u{1B}[H\u{1B}[2J") }
                    context.stdout.write("\(title)  every \(interval)  \(TimeText.rfc3339(SystemTime().nowMilliseconds(), milliseconds: false))\n\n")
                }
                try draw(try context.renderer(watching: true))
                if context.format.isTable && !context.stdout.isTerminal { context.stdout.write("\n") }
            }
            context.stdout.flush()
            Interruption.sleep(interval.seconds)
        }
    }
}
