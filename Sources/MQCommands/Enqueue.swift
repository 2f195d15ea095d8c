import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQParsing
import MQRedis

extension MQCtl {
    struct Enqueue: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "enqueue",
            abstract: "Add messages to a queue: now, later, by priority, idempotently. (Changes data.)",
            discussion: """
                The payload is the PAYLOAD argument, the bytes of -f FILE, or with --stdin one \
                message per line; blank lines are skipped and counted as skipped (an empty \
                message is `enqueue Q ''` or `-f /dev/null`). With --ndjson each line is a JSON object (fields: payload, \
                payload_encoding, headers, priority, delay, at, id, idempotency_key, max_attempts; \
                other fields are refused). A queue at \
                its max_length refuses with exit 75 and writes nothing; an idempotency key seen \
                in the last 24 hours returns the first message's id and adds nothing. Bulk input \
                goes 500 messages per script call, plain lines with the next call sent while \
                Redis runs the one before, and prints a summary.

                Example: mqctl enqueue orders '{"order": 42}' --priority urgent --delay 10m
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

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

        @Option(help: "express, urgent or normal.")
        var priority: String = "normal"

        @Option(help: "Run after this long, e.g. 90s, 10m.", transform: DurationValue.init(parsing:))
        var delay: DurationValue?

        @Option(help: "Run at this time: +10m, RFC 3339, or epoch seconds (1795370400, 1795370400250ms).", transform: TimeValue.init(parsing:))
        var at: TimeValue?

        @Option(name: .customLong("header"), help: "A header KEY=VALUE; repeatable.")
        var headers: [String] = []

        @Option(help: "The message id (default: a new ULID); an id in use is refused.")
        var id: String?

        @Option(help: "Enqueue at most once per key within 24 hours (with --stdin: idempotency_key per NDJSON line).")
        var idempotencyKey: String?

        @Option(help: "Attempts before the message is dead-lettered (default: the queue's).")
        var maxAttempts: Int64?

        func validate() throws {
            let sources = [payload != nil, file != nil, stdin].filter { $0 }.count
            guard sources == 1 else { throw ValidationError("give exactly one of PAYLOAD, -f FILE or --stdin") }
            guard !(delay != nil && at != nil) else { throw ValidationError("give --delay or --at, not both") }
            guard !ndjson || stdin else { throw ValidationError("--ndjson goes with --stdin") }
            guard !(stdin && id != nil) else { throw ValidationError("--id names one message; it cannot go with --stdin") }
            // One key for every line would keep the first line and drop the rest as duplicates.
            guard !(stdin && idempotencyKey != nil) else {
                throw ValidationError("--idempotency-key names one message; with --stdin give idempotency_key per line (--ndjson)")
            }
            guard idempotencyKey != "" else { throw ValidationError("--idempotency-key must not be empty") }
            if let maxAttempts, !(1...QueueConfigChange.largest).contains(maxAttempts) {
                throw ValidationError("--max-attempts must be from 1 to \(QueueConfigChange.largest)")
            }
        }

        func run(in context: CommandContext) throws {
            if let layoutQueue = try context.layoutQueue(queue) {
                return try enqueue(to: layoutQueue, context: context)
            }
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
                request.payload = try InputSource.contents(ofFile: file, option: "-f")
            } else {
                request.payload = Array(payload!.utf8)
            }
            let outcome = try broker.enqueue(request, to: queue)
            context.audit(AuditEntry(command: "enqueue", queue: queue.rawValue, counts: [("enqueued", outcome.isDuplicate ? 0 : 1)]), broker)
            if !outcome.isDuplicate {
                try? broker.publish([(queue, "enqueued", outcome.id, ["state": .string(outcome.state)])])
            }
            guard !context.quiet else { return }
            if context.format.isTable {
                context.stdout.write(outcome.id + "\n")
            } else {
                try context.renderer().single([
                    "id": .string(outcome.id), "queue": .string(queue.rawValue),
                    "state": .string(outcome.state), "duplicate": .bool(outcome.isDuplicate),
                ])
            }
        }

        /// Reads lines in chunks of 10,000 so any amount of input takes
        /// constant memory, then prints a summary. What was written is
        /// said on every way out, a refused or unanswered call included.
        /// A layout queue's members are written as the layout says: the
        /// payload is the member; mqctl's envelope options do not apply.
        private func enqueue(to queue: LayoutQueue, context: CommandContext) throws {
            let refused = [("--header", !headers.isEmpty), ("--id", id != nil), ("--idempotency-key", idempotencyKey != nil),
                           ("--max-attempts", maxAttempts != nil), ("--ndjson", ndjson)].filter(\.1).map(\.0)
            guard refused.isEmpty else {
                throw UsageError("\(refused.joined(separator: ", ")): not for queues of layout '\(queue.layout.name)', whose members are written as the layout declares")
            }
            let broker = try context.broker()
            let now = broker.time.nowMilliseconds()
            let runAt = delay.map { now + $0.milliseconds } ?? at.map { $0.epochMilliseconds(now: now) }
            // The default priority means the layout's default tier unless it has one named so.
            let tier = priority == "normal" && queue.layout.tier(named: "normal") == nil ? nil : priority
            var members: [[UInt8]] = []
            var skipped = 0
            if stdin {
                var lineNumber = 0
                while let read = context.stdin.nextLine() {
                    lineNumber += 1
                    switch read {
                    case .success(let line) where InputSource.isBlank(line): skipped += 1
                    case .success(let line): members.append(line)
                    case .failure(let tooLong): throw UsageError("line \(lineNumber): \(tooLong); nothing was enqueued")
                    }
                }
            } else if let file {
                members = [try InputSource.contents(ofFile: file, option: "-f")]
            } else {
                members = [Array(payload!.utf8)]
            }
            try broker.validate(members, for: queue)
            let report = BulkReport("enqueue", queue: queue.name, verb: "enqueued", counts: ["rejected", "skipped"])
            report.total = members.count
            report["skipped"] = skipped
            report.selection = "layout=\(queue.layout.name)"
            try report.run(context, broker) {
                let (added, refused) = try report.call(size: members.count) {
                    try broker.enqueue(members, to: queue, tier: tier, runAt: runAt)
                }
                report["enqueued"] = added
                report["rejected"] = refused
                // Refused, never dropped: the caller learns which were not written.
                if refused > 0 { throw MQError.queueFull(queue: queue.name.rawValue, maxLength: queue.layout.capacity ?? 0) }
            }
            try context.output { $0.single([
                "queue": .string(queue.name.rawValue), "layout": .string(queue.layout.name),
                "enqueued": .int(Int64(report["enqueued"])), "skipped": .int(Int64(skipped)), "state": .string(runAt.map { $0 > now } == true ? "delayed" : "ready"),
            ]) }
        }

        private func enqueueLines(_ queue: QueueName, template: EnqueueRequest, broker: Broker, context: CommandContext) throws {
            let report = BulkReport("enqueue", queue: queue, verb: "enqueued",
                                    counts: ["enqueued", "duplicates", "rejected", "invalid", "not_written", "skipped"])
            var full = false
            var existing = ExistingIDs()
            var lineNumber = 0
            // Plain lines all take the template's options: they stream.
            let bulk = ndjson ? nil : try BulkEnqueuer(broker, queue: queue, template: template)
            var chunk: [EnqueueRequest] = []
            // No total to know ahead, but a regular file on stdin gives the share read.
            let progress = report.showProgress(context, label: "enqueued")
            progress.measureInput()
            func showCounts() {
                if let bulk {
                    report["enqueued"] = bulk.written
                    report["rejected"] = bulk.rejected
                    report["not_written"] = bulk.notWritten
                    full = bulk.rejected > 0
                }
                progress.update(done: report["enqueued"] + report["duplicates"] + report["rejected"] + report["invalid"]
                                    + report["not_written"] + report["skipped"])
                report.rerun = "\(BulkReport.grouped(lineNumber)) lines were read; ids or idempotency keys (NDJSON) make a re-run safe"
            }
            func flush() throws {
                let outcomes = try report.call(size: chunk.count) { try broker.enqueue(chunk, to: queue) }
                var refusal: RedisServerError?
                for outcome in outcomes {
                    switch outcome {
                    case .ready, .delayed: report["enqueued"] += 1
                    case .duplicate: report["duplicates"] += 1
                    case .queueFull: report["rejected"] += 1; full = true
                    case .idExists(let id):
                        report["rejected"] += 1
                        existing.append(id)
                    case .notWritten(_, let error):
                        report["not_written"] += 1
                        refusal = refusal ?? error
                    }
                }
                showCounts()
                chunk.removeAll(keepingCapacity: true)
                if let refusal { throw refusal }
                try Interruption.checkpoint()
            }
            try report.run(context, broker) {
                // The counts stand on every way out, for the summary.
                defer { showCounts() }
                while let read = context.stdin.nextLine() {
                    lineNumber += 1
                    let line: [UInt8]
                    switch read {
                    case .success(let bytes):
                        line = bytes
                        progress.read(bytes: bytes.count + 1)
                    case .failure(let tooLong):
                        report["invalid"] += 1
                        progress.write("mqctl: error: line \(lineNumber): \(tooLong)\n")
                        continue
                    }
                    // A blank line is a gap in the input, not an empty
                    // message: `enqueue Q ''` or `-f /dev/null` make one.
                    if InputSource.isBlank(line) {
                        report["skipped"] += 1
                        continue
                    }
                    if let bulk {
                        try report.call(size: bulk.unconfirmed) { try bulk.add(line) }
                        if lineNumber % Broker.batchSize == 0 { showCounts() }
                        continue
                    }
                    do {
                        chunk.append(try EnqueueLine.parse(line, template: template, now: broker.time.nowMilliseconds()))
                    } catch {
                        report["invalid"] += 1
                        progress.write("mqctl: error: line \(lineNumber): \(error)\n")
                    }
                    if chunk.count == 10_000 { try flush() }
                }
                if let bulk {
                    try report.call(size: bulk.unconfirmed) { try bulk.finish() }
                } else if !chunk.isEmpty {
                    try flush()
                }
                try Interruption.checkpoint()
            }
            existing.report(to: context, queue: queue.rawValue, verb: "enqueued")
            try context.output { $0.single(Record([("queue", .string(queue.rawValue))] + report.fields.fields + existing.field(for: context))) }
            if report["invalid"] > 0 { throw ExitCode(ExitStatus.dataError.rawValue) }
            if full {
                context.stderr.write("mqctl: error: queue '\(queue)' reached its max_length; \(report["rejected"]) messages were not enqueued\n")
                throw ExitCode(ExitStatus.temporary.rawValue)
            }
            if report["rejected"] > 0 { throw ExitCode(ExitStatus.failure.rawValue) }
        }

        static func parseHeaders(_ pairs: [String]) throws -> [String: String] {
            var headers: [String: String] = [:]
            for pair in pairs {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else { throw MQError.invalidHeader(pair) }
                headers[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            return headers
        }
    }
}

extension EnqueueOutcome {
    var id: String {
        switch self {
        case .ready(let id), .delayed(let id), .duplicate(let id), .idExists(let id), .queueFull(let id), .notWritten(let id, _): return id
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
