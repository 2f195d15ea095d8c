import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQParsing

extension MQCtl {
    struct DLQ: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dlq",
            abstract: "List, show, replay, purge, export and import dead letters.",
            discussion: "Example: mqctl dlq replay orders --error timeout --older-than 1h --dry-run",
            subcommands: [List.self, Show.self, Replay.self, Purge.self, Export.self, Import.self])
    }
}

/// Filters on dead letters, combinable.
struct DeadLetterFilterOptions: ParsableArguments {
    @Option(help: "Failed at least this long ago, e.g. 1h.", transform: DurationValue.init(parsing:))
    var olderThan: DurationValue?

    @Option(help: "Failed at most this long ago, e.g. 30m.", transform: DurationValue.init(parsing:))
    var newerThan: DurationValue?

    @Option(help: "last_error matches this regular expression (anywhere in it).")
    var error: String?

    @Option(name: .customLong("header"), help: "Has this header KEY=VALUE; repeatable.")
    var headers: [String] = []

    @Option(help: "The payload contains this text.")
    var payloadContains: String?

    var isEmpty: Bool {
        olderThan == nil && newerThan == nil && error == nil && headers.isEmpty && payloadContains == nil
    }

    func filter() throws -> DeadLetterFilter {
        let pattern: ErrorPattern?
        do {
            pattern = try error.map { try ErrorPattern($0) }
        } catch {
            throw UsageError("--error: '\(self.error!)' is not a valid regular expression")
        }
        return DeadLetterFilter(
            olderThan: olderThan?.milliseconds, newerThan: newerThan?.milliseconds, error: pattern,
            headers: try MQCtl.Enqueue.parseHeaders(headers), payloadContains: payloadContains.map { Array($0.utf8) })
    }

    /// The filters as given, for the audit entry.
    var description: String {
        var parts: [String] = []
        if let olderThan { parts.append("older-than=\(olderThan)") }
        if let newerThan { parts.append("newer-than=\(newerThan)") }
        if let error { parts.append("error=\(error)") }
        parts += headers.map { "header=\($0)" }
        if let payloadContains { parts.append("payload-contains=\(payloadContains)") }
        return parts.joined(separator: " ")
    }
}

/// Which dead letters a bulk command works on: ids, --all, or filters.
struct DeadLetterSelection: ParsableArguments {
    @Argument(help: "Dead letter ids.")
    var ids: [String] = []

    @Flag(help: "Every dead letter of the queue.")
    var all = false

    @OptionGroup var filters: DeadLetterFilterOptions

    func validate() throws {
        let chosen = [!ids.isEmpty, all, !filters.isEmpty].filter { $0 }.count
        guard chosen == 1 else {
            throw ValidationError("choose the dead letters with ids, --all, or filters (--older-than, --error, ...), exactly one of them")
        }
    }

    /// Hands the matching ids to `body` in batches of `batchSize`, at most
    /// `limit` in all; `body` may remove them as it goes.
    func forEachBatch(_ broker: Broker, _ queue: QueueName, batchSize: Int, limit: Int?, body: ([String]) throws -> Void) throws {
        if !ids.isEmpty {
            let ids = Array(self.ids.prefix(limit ?? self.ids.count))
            for start in stride(from: 0, to: ids.count, by: batchSize) {
                try body(Array(ids[start..<min(start + batchSize, ids.count)]))
            }
            return
        }
        var batch: [String] = []
        try broker.deadLetters(queue, filter: try filters.filter(), limit: limit, withEnvelopes: false) { letter in
            batch.append(letter.id)
            if batch.count == batchSize {
                try body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try body(batch) }
    }

    var description: String {
        !ids.isEmpty ? "ids=\(ids.count)" : all ? "all" : filters.description
    }

    /// The same choice for a layout queue.
    func layoutSelection(limit: Int?) throws -> LayoutActions.Selection {
        LayoutActions.Selection(ids: ids, filter: try filters.filter(), limit: limit, description: description)
    }

    /// What a run will take, counted before it starts. `held` is how many
    /// dead letters the queue has. `count` is exact: the ids given that
    /// are dead letters, --all's count, or for filters a pass over the
    /// matches (as `--dry-run` makes), each at most `limit`. Filters are
    /// counted only when `countFilters` (for a confirmation or a progress
    /// display: a terminal), else `count` is nil. A pass over many shows
    /// its own progress on a terminal.
    func plan(_ broker: Broker, _ queue: QueueName, limit: Int?, countFilters: Bool, context: CommandContext) throws -> DeadLetterPlan {
        let held = try broker.deadLetterCount(queue)
        if !ids.isEmpty {
            let given = Array(ids.prefix(limit ?? ids.count))
            var dead = 0
            for start in stride(from: 0, to: given.count, by: Broker.batchSize) {
                dead += try broker.areDead(queue, ids: Array(given[start..<min(start + Broker.batchSize, given.count)])).filter { $0 }.count
            }
            return DeadLetterPlan(count: dead, held: held)
        }
        if all { return DeadLetterPlan(count: min(held, limit ?? held), held: held) }
        guard countFilters else { return DeadLetterPlan(count: nil, held: held) }
        let progress = Progress(context: context, label: "counting matches:")
        var matched = 0
        try broker.deadLetters(queue, filter: try filters.filter(), limit: limit, withEnvelopes: false) { _ in
            matched += 1
            progress.update(done: matched)
        }
        progress.finish()
        return DeadLetterPlan(count: matched, held: held)
    }
}

/// What a bulk run on dead letters will take, known before it starts.
struct DeadLetterPlan {
    /// How many the run will take; nil when not counted.
    var count: Int?
    /// How many dead letters the queue holds.
    var held: Int

    /// "150,000 of 300,000 dead letters of 'notify'", "all 300,000 dead
    /// letters of 'notify'", "the only dead letter of 'notify'"; uncounted:
    /// "the matching dead letters of 'notify' (of 300,000)".
    func phrase(queue: String) -> String {
        guard held > 0 else { return "the dead letters of '\(queue)' (it has none now)" }
        guard let count else { return "the matching dead letters of '\(queue)' (of \(BulkReport.grouped(held)))" }
        if count >= held {
            return held == 1 ? "the only dead letter of '\(queue)'" : "all \(BulkReport.grouped(held)) dead letters of '\(queue)'"
        }
        return "\(BulkReport.grouped(count)) of \(BulkReport.grouped(held)) dead letter\(held == 1 ? "" : "s") of '\(queue)'"
    }
}

enum DeadLetterRecords {
    static let columns = [
        Column("id"), Column("failed_at"), Column("age_seconds", rightAligned: true),
        Column("attempts", rightAligned: true), Column("priority"), Column("last_error"),
    ]

    /// One row of `dlq list`: the error's first line in tables, whole in JSON.
    static func row(_ letter: DeadLetter, now: Int64, table: Bool) -> Record {
        let error = letter.envelope?.lastError ?? letter.problem.map { "(\($0))" } ?? ""
        return [
            "id": .string(letter.id), "failed_at": .time(letter.failedAt),
            "age_seconds": .seconds(Double(now - letter.failedAt) / 1000),
            "attempts": letter.envelope.map { .int($0.attempts) } ?? .null,
            "priority": letter.envelope.map { .string($0.priority.rawValue) } ?? .null,
            "last_error": .string(table ? firstLine(error) : error),
        ]
    }
}
