import MQCore
import MQFormat

/// The commands' work on a queue of a declared layout: listing a role and
/// moving chosen members, with the same output, confirmation rules, locks,
/// audit entries and reports as on mqctl's own queues.
enum LayoutActions {
    static let columns = [
        Column("id"), Column("tier"), Column("at"), Column("age_seconds", title: "AGE", rightAligned: true),
        Column("attempts", rightAligned: true), Column("error"),
    ]

    /// One message as a row: `at` is the score (due or failed time) where
    /// the role has one, else enqueued-at; the age is measured from it.
    static func row(_ message: LayoutMessage, now: Int64, table: Bool) -> Record {
        let at = message.failedAt ?? message.score ?? message.enqueuedAt
        let error = message.error ?? message.problem.map { "(\($0))" } ?? ""
        var fields: [(name: String, value: FieldValue)] = [
            ("id", .string(message.id)), ("tier", message.tier.map { .string($0) } ?? .null),
            ("at", at.map { .time($0) } ?? .null), ("age_seconds", at.map { .seconds(Double(now - $0) / 1000) } ?? .null),
            ("attempts", message.attempts.map { .int($0) } ?? .null), ("error", .string(table ? firstLine(error) : error)),
        ]
        if !table {
            fields += [("enqueued_at", message.enqueuedAt.map { .time($0) } ?? .null),
                       ("score", message.score.map { .time($0) } ?? .null)]
            fields += Records.payload(message.payload)
            if let problem = message.problem { fields.append(("problem", .string(problem))) }
        }
        return Record(fields)
    }

    /// `dlq list`, `retry list`, `delayed list`, `peek` on a layout queue.
    static func list(_ queue: LayoutQueue, _ role: LayoutRole, filter: DeadLetterFilter = DeadLetterFilter(), limit: Int?,
                     context: CommandContext) throws {
        let broker = try context.broker()
        let now = broker.time.nowMilliseconds()
        let table = context.format == .table
        let renderer = context.quiet ? nil : try context.renderer()
        renderer?.beginList(key: "items", columns: columns)
        try broker.scanLayout(queue, role, filter: filter, limit: limit) { page in
            for message in page { renderer?.row(row(message, now: now, table: table)) }
            context.stdout.flushIfLarge()
            return true
        }
        renderer?.endList()
    }

    /// Which members a move takes: ids, or every one the filter takes.
    struct Selection {
        var ids: [String] = []
        var filter = DeadLetterFilter()
        var limit: Int?
        var description: String
    }

    /// Moves the chosen members of `role` to `target` (nil: removes them),
    /// batch by batch; prints moved, skipped (gone meanwhile), unreadable
    /// (left in place) and the ids given that were not found (exit 1).
    static func move(
        _ command: String, _ queue: LayoutQueue, from role: LayoutRole, to target: LayoutTarget?, selection: Selection,
        dryRun: Bool = false, locking: LockOptions? = nil, context: CommandContext
    ) throws {
        let broker = try context.broker()
        let wanted = Set(selection.ids)
        var found = Set<String>()
        if dryRun {
            var matched = 0
            var sample: [FieldValue] = []
            try broker.scanLayout(queue, role, filter: selection.filter, limit: selection.limit) { page in
                for message in page where wanted.isEmpty || wanted.contains(message.id) {
                    matched += 1
                    found.insert(message.id)
                    if sample.count < 10 { sample.append(.string(message.id)) }
                }
                return true
            }
            let notFound = wanted.subtracting(found).count
            return try context.output { $0.single([
                "queue": .string(queue.name.rawValue), "layout": .string(queue.layout.name), "moved": .int(0),
                "not_found": .int(Int64(notFound)), "dry_run": .bool(true), "matched": .int(Int64(matched)), "sample": .list(sample),
            ]) }
        }
        let report = BulkReport(command, queue: queue.name, verb: target == nil ? "removed" : "moved",
                                counts: ["skipped", "unreadable", "not_found"])
        report.selection = "layout=\(queue.layout.name) " + selection.description
        let work = { (lock: CronLock?) in
            try broker.forEachLayoutBatch(queue, role, filter: selection.filter, limit: wanted.isEmpty ? selection.limit : nil) { page in
                let chosen = wanted.isEmpty ? page : page.filter { wanted.contains($0.id) && !found.contains($0.id) }
                found.formUnion(chosen.map(\.id))
                guard !chosen.isEmpty else { return 0 }
                let result = try report.call(size: chosen.count) {
                    try target.map { try broker.moveLayout(queue, from: role, chosen, to: $0) } ?? broker.removeLayout(queue, from: role, chosen)
                }
                report[report.verb] += result.moved
                report["skipped"] += result.missing
                report["unreadable"] += result.unreadable
                try lock?.checkpoint()
                try Interruption.checkpoint()
                return result.moved + result.missing
            }
        }
        try report.run(context, broker) {
            if let locking {
                try locking.withLock(command.replacingOccurrences(of: " ", with: "-"), queue.name, broker, context, work)
            } else {
                try work(nil)
            }
            report["not_found"] = wanted.subtracting(found).count
        }
        if report["unreadable"] > 0 {
            context.stderr.write("mqctl: warning: \(report["unreadable"]) members could not be read as layout '\(queue.layout.name)' says and were left in place\n")
        }
        try context.output { $0.single(Record([("queue", .string(queue.name.rawValue)), ("layout", .string(queue.layout.name))]
                                                  + report.fields.fields + [("dry_run", .bool(false))])) }
        let missing = wanted.subtracting(found)
        if !missing.isEmpty {
            throw CommandFailure("not found in '\(queue.name)': \(missing.sorted().joined(separator: ", "))")
        }
    }
}
