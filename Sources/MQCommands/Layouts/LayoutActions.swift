import MQCore
import MQFormat
import MQParsing

/// The commands' work on a queue of a declared layout: listing a role and
/// moving chosen members, with the same output, confirmation rules, locks,
/// audit entries and reports as on mqctl's own queues.
enum LayoutActions {
    /// "1 member", "2 members".
    static func members(_ count: Int) -> String { count == 1 ? "1 member" : "\(count) members" }

    static let columns = [
        Column("id"), Column("tier"), Column("at"), Column("age_seconds", rightAligned: true),
        Column("attempts", rightAligned: true), Column("last_error"),
    ]

    /// One message as a row: `at` is the score (due or failed time) where
    /// the role has one, else enqueued-at; the age is measured from it.
    static func row(_ message: LayoutMessage, now: Int64, table: Bool) -> Record {
        let at = message.failedAt ?? message.score ?? message.enqueuedAt
        let error = message.error ?? message.problem.map { "(\($0))" } ?? ""
        var fields: [(name: String, value: FieldValue)] = [
            ("id", .string(message.id)), ("tier", message.tier.map { .string($0) } ?? .null),
            ("at", at.map { .time($0) } ?? .null), ("age_seconds", at.map { .seconds(Double(now - $0) / 1000) } ?? .null),
            ("attempts", message.attempts.map { .int($0) } ?? .null), ("last_error", .string(table ? firstLine(error) : error)),
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
        let table = context.format.isTable
        let renderer = context.quiet ? nil : try context.renderer()
        renderer?.beginList(key: "items", columns: columns)
        // Dead letters newest first, as for mqctl's own queues; the rest in the order they leave.
        try broker.scanLayout(queue, role, filter: filter, limit: limit, newestFirst: role == .dead) { page in
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

    /// What a move would take, counted as its dry run shows it: the
    /// members chosen, the ids given that were not found, a sample.
    struct Plan {
        var matched = 0
        var found = Set<String>()
        var sample: [FieldValue] = []
    }

    /// One pass over the role, changing nothing, with a progress line on a
    /// terminal when it takes long.
    static func plan(_ queue: LayoutQueue, _ role: LayoutRole, selection: Selection, broker: Broker, context: CommandContext) throws -> Plan {
        let wanted = Set(selection.ids)
        var plan = Plan()
        let progress = Progress(context: context, label: "counting matches:")
        try broker.scanLayout(queue, role, filter: selection.filter, limit: wanted.isEmpty ? selection.limit : nil) { page in
            for message in page where wanted.isEmpty || (wanted.contains(message.id) && !plan.found.contains(message.id)) {
                if let limit = selection.limit, plan.matched >= limit { return false }
                plan.matched += 1
                plan.found.insert(message.id)
                if plan.sample.count < 10 { plan.sample.append(.string(message.id)) }
            }
            progress.update(done: plan.matched)
            return true
        }
        progress.finish()
        return plan
    }

    /// How many members the role holds (for a queue's share of shared
    /// keys, as `stats` counts them); nil when that cannot be read.
    static func size(_ queue: LayoutQueue, _ role: LayoutRole, broker: Broker) -> Int? {
        guard let stats = try? broker.stats([queue]).first else { return nil }
        switch role {
        case .ready(let tier):
            return Int(stats.tiers.filter { tier == nil || $0.name == tier }.reduce(0) { $0 + $1.count })
        case .delayed: return Int(stats.delayed)
        case .retry: return Int(stats.retry)
        case .dead: return Int(stats.dead)
        }
    }

    /// "150 of 300 dead letters of 'q'", "all 300 dead letters of 'q'",
    /// "the only dead letter of 'q'"; `held` nil: "150 dead letters of 'q'";
    /// `count` nil: "the matching dead letters of 'q'".
    static func phrase(count: Int?, held: Int?, noun: String, of name: String) -> String {
        let plural = { (n: Int) in n == 1 ? noun : noun + "s" }
        guard let count else { return "the matching \(noun)s of \(name)" }
        guard let held, held > 0 else { return "\(BulkReport.grouped(count)) \(plural(count)) of \(name)" }
        if count >= held { return held == 1 ? "the only \(noun) of \(name)" : "all \(BulkReport.grouped(held)) \(plural(held)) of \(name)" }
        return "\(BulkReport.grouped(count)) of \(BulkReport.grouped(held)) \(plural(held)) of \(name)"
    }

    /// Moves the chosen members of `role` to `target` (nil: removes them),
    /// batch by batch; prints moved, skipped (gone meanwhile), unreadable
    /// (left in place) and the ids given that were not found (exit 1).
    /// `confirmation` says when to ask first; `question` words it from the
    /// count and the role's size. A dry run prints `would_move` (or
    /// `would_remove`), never `moved`.
    static func move(
        _ command: String, _ queue: LayoutQueue, from role: LayoutRole, to target: LayoutTarget?, asRetry: Bool = false,
        keepAttempts: Bool = false, selection: Selection, dryRun: Bool = false, locking: LockOptions? = nil,
        confirmation: ConfirmationRule = .never, context: CommandContext, question: ((Int?, Int?) -> String)? = nil
    ) throws {
        // A refusal is said before anything, so it is not reported as a run cut short.
        try queue.layout.check("moves")
        try queue.layout.check(role.name)
        let broker = try context.broker()
        let wanted = Set(selection.ids)
        var found = Set<String>()
        if dryRun {
            let plan = try plan(queue, role, selection: selection, broker: broker, context: context)
            let notFound = wanted.subtracting(plan.found).count
            return try context.output { $0.single([
                "queue": .string(queue.name.rawValue), "layout": .string(queue.layout.name), (target == nil ? "would_remove" : "would_move"): .int(Int64(plan.matched)),
                "not_found": .int(Int64(notFound)), "dry_run": .bool(true), "sample": .list(plan.sample),
            ]) }
        }
        // Every key the moves touch, checked before the first batch: a wrong
        // type found halfway would leave a run half done.
        try broker.checkKeyTypes([queue])
        // Counted first when a question or the progress line needs it; a
        // run then takes at most the count asked about.
        var limit = selection.limit
        var total: Int? = wanted.isEmpty ? nil : wanted.count
        if confirmation.mayAsk(context) {
            let matched = try plan(queue, role, selection: selection, broker: broker, context: context).matched
            try confirmation.confirm(context, count: matched) {
                question?(matched, size(queue, role, broker: broker)) ?? "\(command) \(members(matched)) of '\(queue.name)'?"
            }
            if wanted.isEmpty { limit = matched }
            total = matched
        } else {
            // The whole role (or its first N) is counted cheaply; filters are not.
            if total == nil && selection.filter.isEmpty {
                total = size(queue, role, broker: broker).map { min($0, selection.limit ?? $0) }
            }
            // Without a terminal: refused unless --yes, for what destroys data.
            try confirmation.confirm(context, count: nil) {
                question?(total, nil) ?? "\(command) of '\(queue.name)'?"
            }
        }
        let report = BulkReport(command, queue: queue.name, verb: target == nil ? "removed" : "moved",
                                counts: ["skipped", "unreadable", "not_found"])
        report.selection = "layout=\(queue.layout.name) " + selection.description
        report.total = total
        let progress = report.showProgress(context, label: target == nil ? "removed" : "moved")
        let work = { (lock: CronLock?) in
            try broker.forEachLayoutBatch(queue, role, filter: selection.filter, limit: wanted.isEmpty ? limit : nil) { page in
                let chosen = wanted.isEmpty ? page : page.filter { wanted.contains($0.id) && !found.contains($0.id) }
                found.formUnion(chosen.map(\.id))
                guard !chosen.isEmpty else { return 0 }
                let result = try report.call(size: chosen.count) {
                    try target.map { try broker.moveLayout(queue, from: role, chosen, to: $0, asRetry: asRetry, keepAttempts: keepAttempts) } ?? broker.removeLayout(queue, from: role, chosen)
                }
                report[report.verb] += result.moved
                report["skipped"] += result.missing
                report["unreadable"] += result.unreadable
                progress.update(done: report[report.verb] + report["skipped"] + report["unreadable"])
                try lock?.checkpoint()
                try Interruption.checkpoint()
                return result.moved + result.missing
            }
        }
        try report.run(context, broker) {
            if let locking {
                try locking.withLock(command.replacingLiteral(" ", with: "-"), queue.name, broker, context, work)
            } else {
                try work(nil)
            }
            report["not_found"] = wanted.subtracting(found).count
        }
        if report["unreadable"] > 0 {
            context.stderr.write("mqctl: warning: \(LayoutActions.members(report["unreadable"])) could not be read as layout '\(queue.layout.name)' says and were left in place\n")
        }
        try context.output { $0.single(Record([("queue", .string(queue.name.rawValue)), ("layout", .string(queue.layout.name))]
                                                  + report.fields.fields + [("dry_run", .bool(false))])) }
        let missing = wanted.subtracting(found)
        if !missing.isEmpty {
            throw CommandFailure("not found in '\(queue.name)': \(missing.sorted().joined(separator: ", "))")
        }
    }

    /// `dlq export`: one JSON line per dead letter, with `member` (the
    /// exact bytes, base64 with member_encoding when not UTF-8) for `dlq import`.
    static func export(_ queue: LayoutQueue, filter: DeadLetterFilter, limit: Int?, context: CommandContext) throws {
        let broker = try context.broker()
        let now = broker.time.nowMilliseconds()
        let lines = OutputFormat.ndjson.renderer(to: context.stdout)
        lines.beginList(key: "items", columns: [])
        try broker.scanLayout(queue, .dead, filter: filter, limit: limit) { page in
            for message in page {
                var record = row(message, now: now, table: false)
                let member = Records.payload(message.member)
                record.fields += [("member", member[0].value)] + (member.count > 1 ? [("member_encoding", member[1].value)] : [])
                lines.row(record)
            }
            context.stdout.flushIfLarge()
            return true
        }
        lines.endList()
    }

    /// `dlq import` into a layout queue: each line's `member` (else its
    /// `payload`) becomes a member, scored by its `score` or `at` time.
    static func importLines(_ queue: LayoutQueue, dead: Bool, locking: LockOptions, context: CommandContext) throws {
        let broker = try context.broker()
        let now = broker.time.nowMilliseconds()
        var items: [(member: [UInt8], at: Int64?)] = []
        var invalid = 0, lineNumber = 0
        while let read = context.stdin.nextLine() {
            lineNumber += 1
            do {
                let line = try read.get()
                if InputSource.isBlank(line) { continue }
                // `member` is the exact member; a line without one (from mqctl's own queues) gives its payload.
                var text: [String: String] = [:]
                var at: Int64?
                for field in try JSONReader.object(line) where field.value != .null {
                    switch field.name {
                    case "member", "member_encoding", "payload", "payload_encoding": text[field.name] = try field.string()
                    case "score", "at": at = try field.time().epochMilliseconds(now: now)
                    // failed_at (a dead letter's export) only when no score or at says when.
                    case "failed_at" where at == nil: at = try field.time().epochMilliseconds(now: now)
                    default: continue
                    }
                }
                let name = text["member"] != nil ? "member" : "payload"
                guard let member = text[name] else { throw UsageError("\"member\" is missing") }
                items.append((try JSONPayload.decode(member, encoding: text[name + "_encoding"]), at))
            } catch {
                invalid += 1
                context.stderr.write("mqctl: error: line \(lineNumber): \(error)\n")
            }
        }
        // Refuse the whole file rather than import part of it.
        if invalid > 0 { throw CommandFailure("\(invalid) lines could not be read; nothing was imported") }
        let report = BulkReport("dlq import", queue: queue.name, verb: "imported", counts: ["exists"])
        report.total = items.count
        report.selection = "layout=\(queue.layout.name) to=\(dead ? "dead" : "ready")"
        try report.run(context, broker) {
            try locking.withLock("dlq-import", queue.name, broker, context) { _ in
                let result = try report.call(size: items.count) { try broker.importMembers(items, to: queue, dead: dead) }
                report["imported"] = result.added
                report["exists"] = result.existing
            }
        }
        if report["exists"] > 0 {
            context.stderr.write("mqctl: warning: \(LayoutActions.members(report["exists"])) already there; not imported again\n")
        }
        try context.output { $0.single(report.fields) }
    }

    /// `show`: the first member with that id, looked for in every role
    /// (ready tiers, delayed, retry, dead), a page at a time.
    static func show(_ queue: LayoutQueue, id: String, context: CommandContext) throws {
        let broker = try context.broker()
        let now = broker.time.nowMilliseconds()
        var roles: [(LayoutRole, String)] = queue.ready.map { (.ready(tier: $0.name), "ready") }
        if queue.delayed != nil { roles.append((.delayed, "delayed")) }
        roles += [(.retry, "retry"), (.dead, "dead")]
        for (role, state) in roles {
            var found: LayoutMessage?
            try broker.scanLayout(queue, role) { page in
                found = page.first { $0.id == id }
                return found == nil
            }
            if let found {
                var record = row(found, now: now, table: false)
                record.fields.insert(contentsOf: [("queue", .string(queue.name.rawValue)), ("layout", .string(queue.layout.name)),
                                                  ("state", .string(state))], at: 1)
                return try context.output { $0.single(record) }
            }
        }
        throw MQError.messageNotFound(queue: queue.name.rawValue, id: id)
    }
}
