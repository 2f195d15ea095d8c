import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQParsing

extension MQCtl.DLQ {
    struct Import: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Read dead letters exported by `dlq export` into a queue. (Changes data.)",
            discussion: """
                --to dead (default) keeps them dead letters; --to ready makes them ready with \
                attempts reset. An id that exists in the queue is refused (exit 1): stderr names \
                the first five and counts the rest, and --json lists them all as existing_ids; \
                a line that cannot be read is reported by number (exit 65). Payloads arrive \
                byte for byte.

                Example: mqctl dlq import orders --to ready < orders-dead.jsonl
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @Option(help: "Keep them dead letters, or make them ready.") var to: Broker.ImportTarget = .dead
        @Flag(help: "Let the dead-letter caps (dead_max, dead_max_age) remove letters to make room; without it an import the caps would trim is refused.")
        var allowTrim = false
        @OptionGroup var locking: LockOptions

        func run(in context: CommandContext) throws {
            let target = to
            if let layoutQueue = try context.layoutQueue(queue) {
                return try LayoutActions.importLines(layoutQueue, dead: target == .dead, locking: locking, context: context)
            }
            let queue = try QueueName(queue)
            let broker = try context.broker()
            let report = BulkReport("dlq import", queue: queue, verb: "imported", counts: ["imported", "exists", "invalid", "trimmed"])
            report.selection = "to=\(target.rawValue)"
            var lineNumber = 0
            var batch: [Envelope] = []
            var existing = ExistingIDs()
            // No total to know ahead, but a regular file on stdin gives the share read.
            let progress = report.showProgress(context, label: "imported")
            progress.measureInput()
            try report.run(context, broker) {
                try locking.withLock("dlq-import", queue, broker, context) { lock in
                    func flush() throws {
                        if target == .dead && !allowTrim {
                            let over = try broker.deadLettersOverCaps(queue, adding: batch)
                            guard over == 0 else {
                                throw CommandFailure(
                                    "importing the next \(batch.count) letters would make the caps of '\(queue)' delete up to \(over) dead letters; "
                                        + "raise them (mqctl queues config \(queue) --dead-max N --dead-max-age D; 0 for no limit) or pass --allow-trim")
                            }
                        }
                        let imported = try report.call(size: batch.count) { try broker.importMessages(queue, batch, to: target) }
                        for (envelope, written) in zip(batch, imported) {
                            if written { report["imported"] += 1 } else {
                                report["exists"] += 1
                                existing.append(envelope.id)
                            }
                        }
                        if target == .dead && imported.contains(true) { report["trimmed"] += try broker.trimDead(queue) }
                        batch.removeAll(keepingCapacity: true)
                        progress.update(done: report["imported"] + report["exists"] + report["invalid"])
                        report.rerun = "\(BulkReport.grouped(lineNumber)) lines were read; a re-run skips the ids already imported"
                        try lock?.checkpoint()
                        try Interruption.checkpoint()
                    }
                    while let read = context.stdin.nextLine() {
                        lineNumber += 1
                        do {
                            let line = try read.get()
                            progress.read(bytes: line.count + 1)
                            if InputSource.isBlank(line) { continue }
                            batch.append(try ExportedMessage.parse(line, now: broker.time.nowMilliseconds()))
                        } catch {
                            report["invalid"] += 1
                            progress.write("mqctl: error: line \(lineNumber): \(error)\n")
                        }
                        if batch.count == Broker.batchSize { try flush() }
                    }
                    if !batch.isEmpty { try flush() }
                    try Interruption.checkpoint()
                }
            }
            existing.report(to: context, queue: queue.rawValue, verb: "imported")
            if report["trimmed"] > 0 {
                context.stderr.write("mqctl: warning: the dead-letter caps of '\(queue)' removed \(report["trimmed"]) letters (--allow-trim)\n")
            }
            try context.output { $0.single(Record(report.fields.fields + existing.field(for: context))) }
            if report["invalid"] > 0 { throw ExitCode(ExitStatus.dataError.rawValue) }
            if report["exists"] > 0 { throw ExitCode(ExitStatus.failure.rawValue) }
        }
    }
}

/// Reads one line of `dlq export` back into an envelope. Fields are
/// type- and range-checked as in `enqueue --ndjson`; a field export does not
/// write is refused, so a line meant for another command is not half read.
public enum ExportedMessage {
    public static func parse(_ line: [UInt8], now: Int64) throws -> Envelope {
        var id: String?
        var payload: String?
        var encoding: String?
        var headers: [String: String] = [:]
        var priority = Priority.normal
        var attempts: Int64 = 0
        var maxAttempts = QueueConfig().maxAttempts
        var enqueuedAt: Int64?
        var runAt: Int64?
        var failedAt: Int64?
        var lastError: String?
        for member in try JSONReader.object(line) where member.value != .null {
            switch member.name {
            case "id": id = try MessageID.validate(member.string())
            case "payload": payload = try member.string()
            case "payload_encoding": encoding = try member.string()
            case "headers": headers = try member.stringObject()
            case "priority": priority = try Priority(parsing: member.string())
            case "attempts": attempts = try member.integer(in: 0...QueueConfigChange.largest)
            case "max_attempts": maxAttempts = try member.integer(in: 1...QueueConfigChange.largest)
            case "enqueued_at": enqueuedAt = try member.time().epochMilliseconds(now: now)
            case "run_at": runAt = try member.time().epochMilliseconds(now: now)
            case "failed_at": failedAt = try member.time().epochMilliseconds(now: now)
            case "last_error": lastError = try member.string()
            // Where and how the letter was when exported; an import decides anew.
            case "queue", "state", "worker", "lease_until": continue
            default: throw UsageError("unknown field '\(member.name)'")
            }
        }
        guard let id else { throw UsageError("\"id\" is missing") }
        guard let payload else { throw UsageError("\"payload\" is missing") }
        let enqueued = enqueuedAt ?? now
        return Envelope(
            id: id, payload: try JSONPayload.decode(payload, encoding: encoding), headers: headers, priority: priority,
            attempts: attempts, maxAttempts: maxAttempts, enqueuedAt: enqueued, runAt: runAt ?? enqueued, state: .dead,
            lastError: lastError, failedAt: failedAt)
    }
}
