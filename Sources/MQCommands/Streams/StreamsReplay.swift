import ArgumentParser
import MQCore
import MQFormat
import MQParsing

extension MQCtl.Streams {
    struct Replay: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Move entries of a dead stream back to the streams they came from. (Changes data.)",
            discussion: """
                Each entry goes back to the stream its source field names, or to --to. The \
                source field is the first of these the entry has: \
                \(ReplayRules.defaultSourceFields.joined(separator: ", ")) (source_stream is \
                what `mqctl streams dead` and `mqctl work --stream` write), or those given with \
                --source-field. The target gets the entry's fields without the dead-letter \
                bookkeeping: in an entry mqctl wrote, its leading source_stream, source_id, \
                group, deliveries, consumer and reason (recognised by position, so the entry's \
                own fields of those names stay); in another system's, the source field; and \
                each --strip-field. It gets a new id (XADD *): groups that already passed the \
                old one see it as new.

                Each move is one script: XADD to the target and XDEL from the dead stream, \
                after checking the entry is still there and the target is a stream, so an \
                entry is in exactly one of the two. Batches of --batch entries; a run covers \
                the entries in the dead stream when it starts, so one that dies again during \
                the run is not replayed twice. An entry that names no source (and no --to), \
                names a stream that does not exist (without --mkstream) or a key that is not a \
                stream, or has no fields of its own, is left in place and reported, never \
                dropped. On Redis Cluster the dead stream and the target must share a slot (a \
                hash tag in both names): --to another slot is refused before anything moves, \
                and an entry naming one is left in place.

                --dry-run lists what would move and what would stay, changing nothing. \
                Otherwise asks on a terminal, and needs --yes elsewhere. Prints moved, left \
                (per reason) and what the dead stream still holds; a run cut short (an error, \
                Ctrl-C, SIGTERM) says on stderr how many it moved and how many are left, so a \
                re-run picks up the rest.

                Example: mqctl streams replay events:orders:dead --older-than 10m --dry-run
                Example: mqctl streams replay dead:all --field-contains reason=timeout --limit 500 --rate 100 --yes
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The dead stream.") var deadStream: String
        @Option(help: "Move every entry to this stream instead of the one it names.") var to: String?
        @Option(name: .customLong("source-field"),
                help: "The field naming an entry's source stream; repeatable, tried in order (default: source_stream, original_stream, original_topic_name, originalTopicName, original_topic, source_topic, topic, stream, source).")
        var sourceFields: [String] = []
        @Option(name: .customLong("strip-field"), help: "Also take this bookkeeping field off the entry; repeatable.")
        var stripFields: [String] = []
        @Option(help: "Only entries that died at least this long ago (by their id in the dead stream), e.g. 10m.",
                transform: DurationValue.init(parsing:))
        var olderThan: DurationValue?
        @Option(name: .customLong("field-contains"), help: "Only entries whose field F contains TEXT, given as F=TEXT; repeatable.")
        var fieldContains: [String] = []
        @Option(help: "Only entries with some field value containing this text.") var payloadContains: String?
        @Option(help: "Move at most N.") var limit: Int?
        @Option(help: "Entries read per batch (one pipeline of scripts).") var batch = 100
        @Option(help: "At most N entries a second, so consumers are not flooded.") var rate: Int?
        @Flag(help: "Create a target stream that does not exist (default: leave its entries in place).") var mkstream = false
        @Flag(help: "List what would move and what would stay; change nothing.") var dryRun = false

        func validate() throws {
            guard (1...1_000).contains(batch) else { throw ValidationError("--batch must be from 1 to 1000") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            if let rate, rate < 1 { throw ValidationError("--rate must be at least 1") }
            for item in fieldContains where !item.contains("=") || item.hasPrefix("=") {
                throw ValidationError("--field-contains takes FIELD=TEXT, not '\(item)'")
            }
            if to?.isEmpty == true { throw ValidationError("--to needs a stream name") }
        }

        var filter: DeadEntryFilter {
            DeadEntryFilter(
                addedAtOrBefore: olderThan.map { SystemTime().nowMilliseconds() - $0.milliseconds },
                fieldContains: fieldContains.map { item in
                    let name = item.prefix { $0 != "=" }
                    return (String(name), Array(item.dropFirst(name.count + 1).utf8))
                },
                anyValueContains: payloadContains.map { Array($0.utf8) })
        }

        var selection: String {
            var parts = [deadStream]
            if let to { parts.append("to=\(to)") }
            if let olderThan { parts.append("older-than=\(olderThan)") }
            parts += fieldContains.map { "field-contains=\($0)" }
            if let payloadContains { parts.append("payload-contains=\(payloadContains)") }
            if let limit { parts.append("limit=\(limit)") }
            return parts.joined(separator: " ")
        }

        func run(in context: CommandContext) throws {
            let rules = ReplayRules(target: to, sourceFields: sourceFields.isEmpty ? ReplayRules.defaultSourceFields : sourceFields,
                                    stripFields: stripFields, createTargets: mkstream)
            let replay = DeadStreamReplay(streams: MQCore.Streams(connection: try context.connection()),
                                          deadStream: deadStream, rules: rules, filter: filter)
            try MQCtl.Streams.refusals { try replay.prepare() }
            if dryRun { return try dryRunReport(replay, context: context) }

            let total = try replay.countMatches(limit: limit)
            if total > 0 {
                try context.confirm("Move \(BulkReport.grouped(total)) entr\(total == 1 ? "y" : "ies") of '\(deadStream)' back to \(to.map { "'\($0)'" } ?? "their source streams")?")
            }
            let reasons = ReplayLeftReason.allCases.map(\.rawValue)
            let report = BulkReport("streams replay", queue: nil, verb: "moved", counts: ["moved", "left"] + reasons)
            report.selection = selection
            report.total = total
            var targets: [String: Int] = [:]
            var leftSample: [FieldValue] = []
            let progress = report.showProgress(context, label: "replayed")
            let limiter = RateLimiter(rate: rate)
            try report.run(context, try context.broker()) {
                try replay.run(batchSize: min(batch, rate ?? batch), limit: limit, dryRun: false) { results in
                    for result in results {
                        switch result.outcome {
                        case .moved, .wouldMove:
                            report["moved"] += 1
                            targets[result.target ?? "", default: 0] += 1
                        case .left(let reason):
                            report["left"] += 1
                            report[reason.rawValue] += 1
                            if leftSample.count < 20 {
                                leftSample.append(.object(["id": .string(result.entry.id), "reason": .string(reason.rawValue),
                                                           "target": result.target.map { .string($0) } ?? .null]))
                            }
                        }
                    }
                    progress.update(done: report["moved"])
                    limiter.pace(done: report["moved"] + report["left"])
                    try Interruption.checkpoint()
                }
            }
            warnAboutLeft(report, context: context)
            let remaining = try replay.streams.connection.send("XLEN", deadStream).int()
            try context.output { $0.single(Record(report.fields.fields + [
                ("remaining", .int(remaining)),
                ("targets", .object(Record(targets.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }))),
                ("left_entries", .list(leftSample)),
                ("dry_run", .bool(false)),
            ])) }
        }

        /// One stderr line naming why entries stayed, so a cron job's mail
        /// says it even with --quiet.
        private func warnAboutLeft(_ report: BulkReport, context: CommandContext) {
            let reasons = ReplayLeftReason.allCases.filter { report[$0.rawValue] > 0 }
            guard !reasons.isEmpty else { return }
            let parts = reasons.map { "\(report[$0.rawValue]) \($0.explanation)" }
            context.stderr.write("mqctl: warning: \(report["left"]) entr\(report["left"] == 1 ? "y was" : "ies were") left in '\(deadStream)': \(parts.joined(separator: "; "))\n")
        }

        private func dryRunReport(_ replay: DeadStreamReplay, context: CommandContext) throws {
            var counts: [String: Int] = [:]
            var targets: [String: Int] = [:]
            let now = SystemTime().nowMilliseconds()
            let table = context.format.isTable
            try context.output { renderer in
                renderer.beginList(key: "entries", columns: [
                    Column("id"), Column("age_seconds", rightAligned: true), Column("action"),
                    Column("target"), Column("source_field"), Column("fields", rightAligned: true),
                ])
                try replay.run(batchSize: batch, limit: limit, dryRun: true) { results in
                    for result in results {
                        let action: String
                        if case .left(let reason) = result.outcome {
                            action = "leave: \(reason.rawValue)"
                            counts["left", default: 0] += 1
                            counts[reason.rawValue, default: 0] += 1
                        } else {
                            action = "move"
                            counts["would_move", default: 0] += 1
                            targets[result.target ?? "", default: 0] += 1
                        }
                        renderer.row([
                            "id": .string(result.entry.id),
                            "age_seconds": result.entry.milliseconds.map { .seconds(Double(now - $0) / 1000) } ?? .null,
                            "action": .string(action), "target": result.target.map { .string($0) } ?? .null,
                            "source_field": result.sourceField.map { .string($0) } ?? .null,
                            "fields": .int(Int64(result.fields.count)),
                        ])
                    }
                }
                let summary: Record = Record([
                    ("dry_run", .bool(true)), ("would_move", .int(Int64(counts["would_move"] ?? 0))),
                    ("left", .int(Int64(counts["left"] ?? 0))),
                ] + ReplayLeftReason.allCases.filter { $0 != .gone }.map { ($0.rawValue, .int(Int64(counts[$0.rawValue] ?? 0))) } + [
                    ("targets", .object(Record(targets.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }))),
                ])
                if table {
                    renderer.endList()
                    context.stdout.write("\n")
                    renderer.single(summary)
                } else {
                    renderer.endList(summary)
                }
            }
        }
    }
}
