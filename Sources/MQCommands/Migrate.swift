import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Migrate: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Move a layout queue's messages into one of mqctl's own queues. (Changes data.)",
            discussion: """
                Each member becomes an envelope that keeps its enqueued-at, attempts and last \
                error (so latency is still measured from when it was first enqueued): ready \
                members go to ready (tiers named express, urgent or normal keep their tier), \
                delayed and retry members to their sets with their times, dead letters to the \
                dead letters. Each batch is one script that removes the member and writes the \
                envelope, so a member is in one place or the other, never both and never \
                neither; members that cannot be read stay where they are. Not offered on a \
                cluster (the keys are in other slots). --dry-run counts what would move \
                (would_move) and what could not be read (unreadable), changing nothing. On a \
                terminal a progress line on stderr shows done/total, rate and ETA; Ctrl-C stops \
                between batches, saying how many were moved and how many are left.

                Example: mqctl migrate courier --from openpenpal --to courier --dry-run
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The layout queue to move from.", completion: .queueNames) var queue: String
        @Option(help: ArgumentHelp("The source's layout (default: as the config file says).", valueName: "layout")) var from: String?
        @Option(help: ArgumentHelp("The native queue to move to.", valueName: "queue")) var to: String
        @Option(help: "Which of the source's messages: ready, delayed, retry, dead or all.") var role = "all"
        @Flag(help: "Count what would move; change nothing.") var dryRun = false
        @Option(help: "Move at most N (per role).") var limit: Int?
        @OptionGroup var locking: LockOptions

        func validate() throws {
            guard ["ready", "delayed", "retry", "dead", "all"].contains(role) else {
                throw ValidationError("--role must be ready, delayed, retry, dead or all")
            }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            let ref = try from.map { layout in
                QueueRef.layout(try context.broker().layoutQueue(try context.layout(named: layout), try QueueName(queue)))
            } ?? context.queue(queue)
            guard case .layout(let source) = ref else {
                throw UsageError("'\(queue)' is one of mqctl's own queues; name a layout queue (--from LAYOUT)")
            }
            try source.layout.check("moves")
            let target = try QueueName(to)
            let broker = try context.broker()
            var roles: [LayoutRole] = source.ready.map { .ready(tier: $0.name) }
            if source.delayed != nil { roles.append(.delayed) }
            roles += [.retry, .dead]
            roles = roles.filter { role in
                switch (self.role, role) {
                case ("all", _), ("ready", .ready), ("delayed", .delayed), ("retry", .retry), ("dead", .dead): true
                default: false
                }
            }
            if dryRun {
                // Counted as a run would take them, changing nothing, under no lock and with no audit entry.
                var wouldMove = 0, unreadable = 0
                let progress = Progress(context: context, label: "counting:")
                for role in roles {
                    try broker.scanLayout(source, role, limit: limit) { page in
                        wouldMove += page.filter { $0.problem == nil }.count
                        unreadable += page.filter { $0.problem != nil }.count
                        progress.update(done: wouldMove + unreadable)
                        return true
                    }
                }
                progress.finish()
                return try context.output { $0.single([
                    "queue": .string(source.name.rawValue), "layout": .string(source.layout.name), "to": .string(target.rawValue),
                    "would_move": .int(Int64(wouldMove)), "unreadable": .int(Int64(unreadable)), "dry_run": .bool(true),
                ]) }
            }
            let report = BulkReport("migrate", queue: source.name, verb: "moved", counts: ["skipped", "unreadable"])
            report.selection = "layout=\(source.layout.name) to=\(target) role=\(role)"
            // The total, for the progress line and a run cut short: each role's size (at most --limit).
            report.total = roles.reduce(0 as Int?) { sum, role in
                guard let sum, let size = LayoutActions.size(source, role, broker: broker) else { return nil }
                return sum + min(size, limit ?? size)
            }
            let progress = report.showProgress(context, label: "moved")
            try report.run(context, broker) {
                try locking.withLock("migrate", source.name, broker, context) { lock in
                    for role in roles {
                        try broker.forEachLayoutBatch(source, role, filter: DeadLetterFilter(), limit: limit) { page in
                            let result = try report.call(size: page.count) { try broker.migrate(source, role: role, page, to: target) }
                            report["moved"] += result.moved
                            report["skipped"] += result.missing
                            report["unreadable"] += result.unreadable
                            progress.update(done: report["moved"] + report["skipped"] + report["unreadable"])
                            try lock?.checkpoint()
                            try Interruption.checkpoint()
                            return result.moved + result.missing
                        }
                    }
                }
            }
            if report["unreadable"] > 0 {
                context.stderr.write("mqctl: warning: \(LayoutActions.members(report["unreadable"])) could not be read as layout '\(source.layout.name)' says and were left in place\n")
            }
            var fields: [(name: String, value: FieldValue)] = [("queue", .string(source.name.rawValue)), ("layout", .string(source.layout.name)),
                                                               ("to", .string(target.rawValue))]
            fields += report.fields.fields + [("dry_run", .bool(false))]
            try context.output { $0.single(Record(fields)) }
        }
    }
}
