import ArgumentParser
import Foundation
import MQCore
import MQFormat
import MQParsing

extension MQCtl {
    struct Enqueue: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add messages to a queue: now, later, by priority, idempotently. (Changes data.)",
            discussion: """
                The payload is the PAYLOAD argument, the bytes of -f FILE, or with --stdin one \
                message per line (with --ndjson each line a JSON object: payload, \
                payload_encoding, headers, priority, delay, at, id, idempotency_key). A queue at \
                its max_length refuses with exit 75 and writes nothing; an idempotency key seen \
                in the last 24 hours returns the first message's id and adds nothing. Bulk input \
                goes 500 messages per script call, 10,000 per round trip, and prints a summary.

                Example: mqctl enqueue orders '{"order": 42}' --priority urgent --delay 10m
                """)

        @OptionGroup var globals: GlobalOptions

        @Argument(help: "The queue.", completion: .queueNames)
        var queue: String

        @Argument(help: "The payload (or use -f or --stdin).")
        var payload: String?

        @Option(name: [.customShort("f"), .long], help: "Read one payload, byte for byte, from this file.")
        var file: String?

        @Flag(help: "Read one message per line from standard input.")
        var stdin = false

        @Flag(help: "With --stdin: each line is a JSON object.")
        var ndjson = false

        @Option(help: "express, urgent or normal (default).")
        var priority: String = "normal"

        @Option(help: "Run after this long, e.g. 90s, 10m.", transform: DurationValue.init(parsing:))
        var delay: DurationValue?

        @Option(help: "Run at this time: +10m, RFC 3339 or epoch milliseconds.", transform: TimeValue.init(parsing:))
        var at: TimeValue?

        @Option(name: .customLong("header"), help: "A header KEY=VALUE; repeatable.")
        var headers: [String] = []

        @Option(help: "The message id (default: a new ULID); an id in use is refused.")
        var id: String?

        @Option(help: "Enqueue at most once per key within 24 hours.")
        var idempotencyKey: String?

        @Option(help: "Attempts before the message is dead-lettered (default: the queue's).")
        var maxAttempts: Int64?

        func validate() throws {
            let sources = [payload != nil, file != nil, stdin].filter { $0 }.count
            guard sources == 1 else { throw ValidationError("give exactly one of PAYLOAD, -f FILE or --stdin") }
            guard !(delay != nil && at != nil) else { throw ValidationError("give --delay or --at, not both") }
            guard !ndjson || stdin else { throw ValidationError("--ndjson goes with --stdin") }
            guard !(stdin && id != nil) else { throw ValidationError("--id names one message; it cannot go with --stdin") }
            if let maxAttempts, maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            let queue = try QueueName(queue)
            let broker = try context.broker()
            let now = broker.time.nowMilliseconds()
            let template = EnqueueRequest(
                payload: [], headers: try Self.parseHeaders(headers), priority: try Priority(parsing: priority),
                runAt: delay.map { now + $0.milliseconds } ?? at.map { $0.epochMilliseconds(now: now) },
                id: id, idempotencyKey: idempotencyKey, maxAttempts: maxAttempts)
            if stdin {
                return try enqueueLines(queue, template: template, broker: broker, context: context)
            }
            var request = template
            if let file {
                guard let data = FileManager.default.contents(atPath: file) else { throw UsageError("cannot read '\(file)'") }
                request.payload = Array(data)
            } else {
                request.payload = Array(payload!.utf8)
            }
            let outcome = try broker.enqueue(request, to: queue)
            try broker.audit(AuditEntry(command: "enqueue", queue: queue.rawValue, counts: [("enqueued", outcome.isDuplicate ? 0 : 1)]))
            if !outcome.isDuplicate {
                try broker.publish([(queue, "enqueued", outcome.id, ["state": outcome.state])])
            }
            guard !context.quiet else { return }
            if context.format == .table {
                context.stdout.write(outcome.id + "\n")
            } else {
                try context.renderer().single([
                    "id": .string(outcome.id), "queue": .string(queue.rawValue),
                    "state": .string(outcome.state), "duplicate": .bool(outcome.isDuplicate),
                ])
            }
        }

        /// Reads lines in chunks of 10,000 so any amount of input takes
        /// constant memory, then prints a summary.
        private func enqueueLines(_ queue: QueueName, template: EnqueueRequest, broker: Broker, context: CommandContext) throws {
            var summary = (enqueued: 0, duplicates: 0, rejected: 0, invalid: 0, full: false)
            var lineNumber = 0
            var chunk: [EnqueueRequest] = []
            let progress = Progress(context: context, label: "enqueued")
            func flush() throws {
                for outcome in try broker.enqueue(chunk, to: queue) {
                    switch outcome {
                    case .ready, .delayed: summary.enqueued += 1
                    case .duplicate: summary.duplicates += 1
                    case .queueFull: summary.rejected += 1; summary.full = true
                    case .idExists(let id):
                        summary.rejected += 1
                        context.stderr.write("mqctl: error: message '\(id)' already exists; not enqueued\n")
                    }
                }
                progress.update(done: lineNumber)
                chunk.removeAll(keepingCapacity: true)
            }
            while let line = context.stdin.readLine() {
                lineNumber += 1
                guard ndjson else {
                    var request = template
                    request.payload = line
                    chunk.append(request)
                    if chunk.count == 10_000 { try flush() }
                    continue
                }
                if InputSource.isBlank(line) { continue }
                do {
                    chunk.append(try Self.parseJSONLine(line, template: template, now: broker.time.nowMilliseconds()))
                } catch {
                    summary.invalid += 1
                    context.stderr.write("mqctl: error: line \(lineNumber): \(error)\n")
                }
                if chunk.count == 10_000 { try flush() }
            }
            if !chunk.isEmpty { try flush() }
            progress.finish()
            try broker.audit(AuditEntry(command: "enqueue", queue: queue.rawValue, counts: [
                ("enqueued", summary.enqueued), ("duplicates", summary.duplicates), ("rejected", summary.rejected),
            ]))
            try context.output { $0.single([
                "queue": .string(queue.rawValue), "enqueued": .int(Int64(summary.enqueued)),
                "duplicates": .int(Int64(summary.duplicates)), "rejected": .int(Int64(summary.rejected)),
                "invalid": .int(Int64(summary.invalid)),
            ]) }
            if summary.invalid > 0 { throw ExitCode(ExitStatus.dataError.rawValue) }
            if summary.full {
                context.stderr.write("mqctl: error: queue '\(queue)' reached its max_length; \(summary.rejected) messages were not enqueued\n")
                throw ExitCode(ExitStatus.temporary.rawValue)
            }
            if summary.rejected > 0 { throw ExitCode(ExitStatus.failure.rawValue) }
        }

        static func parseHeaders(_ pairs: [String]) throws -> [String: String] {
            var headers: [String: String] = [:]
            for pair in pairs {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else { throw MQError.invalidHeader(pair) }
                headers[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            return headers
        }

        /// One NDJSON line: its fields override the command line's.
        static func parseJSONLine(_ line: [UInt8], template: EnqueueRequest, now: Int64) throws -> EnqueueRequest {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                throw UsageError("not a JSON object")
            }
            var request = template
            guard let payload = object["payload"] as? String else { throw UsageError("\"payload\" must be a string") }
            switch object["payload_encoding"] as? String {
            case nil: request.payload = Array(payload.utf8)
            case "base64":
                guard let bytes = Base64.decode(payload) else { throw UsageError("\"payload\" is not valid base64") }
                request.payload = bytes
            case let other?: throw UsageError("unknown payload_encoding '\(other)' (only base64)")
            }
            if let headers = object["headers"] {
                guard let headers = headers as? [String: String] else { throw UsageError("\"headers\" must be an object of strings") }
                request.headers = headers
            }
            if let priority = object["priority"] as? String { request.priority = try Priority(parsing: priority) }
            if let delay = object["delay"] as? String { request.runAt = now + (try DurationValue(parsing: delay)).milliseconds }
            if let at = object["at"] {
                let text = (at as? String) ?? (at as? NSNumber)?.stringValue ?? ""
                request.runAt = try TimeValue(parsing: text).epochMilliseconds(now: now)
            }
            if let id = object["id"] as? String { request.id = try MessageID.validate(id) }
            if let key = object["idempotency_key"] as? String { request.idempotencyKey = key }
            if let attempts = object["max_attempts"] as? Int { request.maxAttempts = Int64(attempts) }
            return request
        }
    }
}

extension EnqueueOutcome {
    var id: String {
        switch self {
        case .ready(let id), .delayed(let id), .duplicate(let id), .idExists(let id), .queueFull(let id): return id
        }
    }

    var isDuplicate: Bool {
        if case .duplicate = self { return true }
        return false
    }

    var state: String {
        switch self {
        case .delayed: return "delayed"
        default: return "ready"
        }
    }
}
