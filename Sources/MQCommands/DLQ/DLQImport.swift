import ArgumentParser
import Foundation
import MQCore
import MQFormat
import MQParsing

extension MQCtl.DLQ {
    struct Import: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read dead letters exported by `dlq export` into a queue. (Changes data.)",
            discussion: """
                --to dead (default) keeps them dead letters; --to ready makes them ready with \
                attempts reset. An id that exists in the queue is refused and reported (exit 1); \
                a line that cannot be read is reported by number (exit 65). Payloads arrive \
                byte for byte.

                Example: mqctl dlq import orders --to ready < orders-dead.jsonl
                """)

        @OptionGroup var globals: GlobalOptions
        @Argument(help: "The queue.", completion: .queueNames) var queue: String
        @Option(help: "dead or ready.") var to: String = "dead"
        @OptionGroup var locking: LockOptions

        func run(in context: CommandContext) throws {
            let queue = try QueueName(queue)
            guard let target = Broker.ImportTarget(rawValue: to) else { throw UsageError("--to must be dead or ready") }
            let broker = try context.broker()
            var tally = (imported: 0, exists: 0, invalid: 0)
            var lineNumber = 0
            var batch: [Envelope] = []
            let progress = Progress(context: context, label: "imported")
            try locking.withLock("dlq-import", queue, broker, context) { lock in
                func flush() throws {
                    for (envelope, imported) in zip(batch, try broker.importMessages(queue, batch, to: target)) {
                        if imported { tally.imported += 1 } else {
                            tally.exists += 1
                            context.stderr.write("mqctl: error: message '\(envelope.id)' already exists in '\(queue)'; not imported\n")
                        }
                    }
                    batch.removeAll(keepingCapacity: true)
                    progress.update(done: lineNumber)
                    try lock?.renewIfDue()
                }
                while let line = context.stdin.readLine() {
                    lineNumber += 1
                    if InputSource.isBlank(line) { continue }
                    do {
                        batch.append(try ExportedMessage.parse(line, now: broker.time.nowMilliseconds()))
                    } catch {
                        tally.invalid += 1
                        context.stderr.write("mqctl: error: line \(lineNumber): \(error)\n")
                    }
                    if batch.count == Broker.batchSize { try flush() }
                }
                if !batch.isEmpty { try flush() }
            }
            progress.finish()
            try broker.audit(AuditEntry(command: "dlq import", queue: queue.rawValue, counts: [
                ("imported", tally.imported), ("exists", tally.exists), ("invalid", tally.invalid),
            ], detail: "to=\(target.rawValue)"))
            try context.output { $0.single([
                "imported": .int(Int64(tally.imported)), "exists": .int(Int64(tally.exists)), "invalid": .int(Int64(tally.invalid)),
            ]) }
            if tally.invalid > 0 { throw ExitCode(ExitStatus.dataError.rawValue) }
            if tally.exists > 0 { throw ExitCode(ExitStatus.failure.rawValue) }
        }
    }
}

/// Reads one line of `dlq export` back into an envelope.
public enum ExportedMessage {
    public static func parse(_ line: [UInt8], now: Int64) throws -> Envelope {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
            throw UsageError("not a JSON object")
        }
        func text(_ name: String) throws -> String? {
            guard let value = object[name], !(value is NSNull) else { return nil }
            guard let text = value as? String else { throw UsageError("\"\(name)\" must be a string") }
            return text
        }
        func integer(_ name: String) throws -> Int64? {
            guard let value = object[name], !(value is NSNull) else { return nil }
            guard let number = value as? NSNumber, let exact = Int64(exactly: number.doubleValue) else {
                throw UsageError("\"\(name)\" must be a whole number")
            }
            return exact
        }
        func time(_ name: String) throws -> Int64? {
            if let number = object[name] as? NSNumber { return number.int64Value }
            return try text(name).map { try TimeValue(parsing: $0).epochMilliseconds(now: now) }
        }
        guard let id = try text("id") else { throw UsageError("\"id\" is missing") }
        guard let payloadText = try text("payload") else { throw UsageError("\"payload\" is missing") }
        let payload: [UInt8]
        switch try text("payload_encoding") {
        case nil: payload = Array(payloadText.utf8)
        case "base64":
            guard let bytes = Base64.decode(payloadText) else { throw UsageError("\"payload\" is not valid base64") }
            payload = bytes
        case let other?: throw UsageError("unknown payload_encoding '\(other)' (only base64)")
        }
        var headers: [String: String] = [:]
        if let value = object["headers"], !(value is NSNull) {
            guard let object = value as? [String: String] else { throw UsageError("\"headers\" must be an object of strings") }
            headers = object
        }
        let enqueuedAt = try time("enqueued_at") ?? now
        return Envelope(
            id: try MessageID.validate(id), payload: payload, headers: headers,
            priority: try text("priority").map(Priority.init(parsing:)) ?? .normal,
            attempts: try integer("attempts") ?? 0, maxAttempts: try integer("max_attempts") ?? QueueConfig().maxAttempts,
            enqueuedAt: enqueuedAt, runAt: try time("run_at") ?? enqueuedAt, state: .dead,
            lastError: try text("last_error"), failedAt: try time("failed_at"))
    }
}
