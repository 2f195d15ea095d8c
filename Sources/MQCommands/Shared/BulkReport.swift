import ArgumentParser
import MQCore
import MQFormat
import MQRedis

/// What a bulk command (enqueue, replay, import, purge, promote, reap,
/// run-now, kill, cancel) has done so far, so that it is said on every way
/// out: success, a Redis error, a timeout, a full Redis, SIGINT or SIGTERM.
/// The counts go to the audit stream either way; on a failure they also go
/// to stderr as one line, and into the JSON output with `completed: false`.
final class BulkReport {
    let command: String
    let queue: QueueName?
    /// The count the stderr line leads with ("moved", "enqueued").
    let verb: String
    private var names: [String]
    private var values: [String: Int] = [:]
    /// What the run set out to do, when known before it starts.
    var total: Int?
    /// Items of a call sent without a reply coming back: Redis may or may
    /// not have run it.
    private(set) var unconfirmed = 0
    /// How the items were chosen, for the audit entry.
    var selection: String?
    /// What the stderr line ends with when the run stops early.
    var rerun = "re-run to continue"
    /// The progress display, wiped before the summary is written.
    private(set) var progress: Progress?

    init(_ command: String, queue: QueueName?, verb: String, counts: [String]) {
        self.command = command
        self.queue = queue
        self.verb = verb
        self.names = counts.contains(verb) ? counts : [verb] + counts
    }

    subscript(name: String) -> Int {
        get { values[name, default: 0] }
        set {
            if !names.contains(name) { names.append(name) }
            values[name] = newValue
        }
    }

    /// The counts as output fields.
    var fields: Record {
        Record(names.map { (name: $0, value: .int(Int64(self[$0]))) })
    }

    /// Runs one call of `size` items: if the link breaks before its reply,
    /// those items are reported as unconfirmed rather than as done or not.
    /// `size` is read then, so a streaming caller gives what it has in flight.
    func call<T>(size: @autoclosure () -> Int, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RedisClientError where error.isConnectionError {
            unconfirmed += size()
            throw error
        }
    }

    /// A progress display for this run (shown only on a terminal), with
    /// `total` as its total; wiped on every way out of `run`.
    func showProgress(_ context: CommandContext, label: String) -> Progress {
        let progress = Progress(context: context, label: label, total: total)
        self.progress = progress
        return progress
    }

    /// Runs `body`, then writes the audit entry. When `body` fails (an
    /// error, Ctrl-C, SIGTERM), says first what was done, so a re-run can
    /// be planned, then rethrows.
    func run(_ context: CommandContext, _ broker: Broker, _ body: () throws -> Void) throws {
        progress?.start()
        do {
            try Interruption.catchingTermination {
                try body()
            }
            progress?.finish()
        } catch {
            progress?.finish()
            // A skipped run (--skip-if-locked), or one that found the lock
            // held before doing anything, has nothing to report.
            if let exit = error as? ExitCode, exit == .success { throw error }
            if case MQError.lockHeld = error, names.allSatisfy({ self[$0] == 0 }) { throw error }
            let explained = context.explained(error)
            context.stderr.write("mqctl: \(summary(stoppedBy: explained))\n")
            audit(context, broker, outcome: AuditOutcome(ending: explained))
            if !context.format.isTable && context.format != .prometheus {
                var record = fields
                record.fields += [("completed", .bool(false)), ("unconfirmed", .int(Int64(unconfirmed))),
                                  ("error", .string("\(explained)"))]
                try? context.output { $0.single(record) }
            }
            throw error
        }
        audit(context, broker, outcome: .completed)
    }

    /// `moved 11,500 of 150,000; 138,500 left; re-run to continue`
    func summary(stoppedBy error: Error) -> String {
        let done = self[verb]
        var line = "\(verb) \(Self.grouped(done))"
        if let total {
            let left = max(0, total - done - unconfirmed)
            line += " of \(Self.grouped(total)); \(Self.grouped(left)) left"
        } else {
            line += " before stopping"
        }
        if unconfirmed > 0 {
            line += "; \(Self.grouped(unconfirmed)) more were sent without a reply and may or may not have been \(verb)"
        }
        return line + "; " + rerun
    }

    private func audit(_ context: CommandContext, _ broker: Broker, outcome: AuditOutcome) {
        context.audit(AuditEntry(command: command, queue: queue?.rawValue, counts: names.map { ($0, self[$0]) },
                                 detail: selection, outcome: outcome), broker)
    }

    /// 11500 as "11,500".
    static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (number < 0 ? "-" : "") + out
    }
}

extension CommandContext {
    /// Writes an audit entry after a change; a failure to write it is a
    /// warning, since the change is done and failing now would invite a
    /// re-run that does it twice.
    func audit(_ entry: AuditEntry, _ broker: Broker) {
        if let problem = broker.auditReportingFailure(entry) { stderr.write("mqctl: warning: \(problem)\n") }
    }
}
