import MQCore
import MQFormat

/// Which messages of a waiting set (delayed, retry) a command takes, and
/// what it calls them.
struct WaitingChoice {
    /// The set, as the envelope's state names it.
    var state: MessageState
    /// "delayed", "waiting for a retry": for the not-found error.
    var place: String
    /// The ids given; empty with `all`.
    var ids: [String]
    var all = false
}

/// Moves chosen messages out of a waiting set (delayed, retry), batch by
/// batch, then prints the count `verb` names ("moved", or "deleted" for a
/// cancel), dead_lettered (unreadable envelopes sent to the dead set
/// instead; not for a cancel) and not_found. What was done is reported on
/// every way out (`BulkReport`); ids that were not there make the exit 1.
///
/// `dryRun` counts instead, changing nothing: `would_move` (or
/// `would_delete`) is the ids given whose envelope is in that set, or with
/// --all the set's size. `confirmation` says when to ask first; `question`
/// words it from the count.
func moveWaiting(
    _ command: String, queue name: String, choice: WaitingChoice, verb: String = "moved", dryRun: Bool = false,
    confirmation: ConfirmationRule = .never, question: ((Int) -> String)? = nil, context: CommandContext,
    batches: (Broker, QueueName, ([String]) throws -> Void) throws -> Void,
    move: @escaping (Broker, QueueName, [String]) throws -> MoveResult
) throws {
    let queue = try QueueName(name)
    let broker = try context.broker()
    if dryRun || confirmation.mayAsk(context) {
        let plan = try planWaiting(broker, queue, choice)
        if dryRun {
            return try context.output { $0.single([
                "queue": .string(queue.rawValue), "would_" + (verb == "deleted" ? "delete" : "move"): .int(Int64(plan.count)),
                "not_found": .list(plan.notFound.map { .string($0) }), "dry_run": .bool(true), "sample": .list(plan.sample.map { .string($0) }),
            ]) }
        }
        try confirmation.confirm(context, count: plan.count) { question?(plan.count) ?? "\(command) \(plan.count)?" }
    } else {
        // Without a terminal: refused unless --yes, for what destroys data.
        try confirmation.confirm(context, count: nil) { question?(choice.ids.count) ?? "\(command)?" }
    }
    let deadLettering = verb != "deleted"
    let report = BulkReport(command, queue: queue, verb: verb, counts: [verb] + (deadLettering ? ["dead_lettered"] : []) + ["not_found"])
    report.selection = choice.all ? "all" : "ids=\(choice.ids.count)"
    // For the progress line and a summary cut short; a setting stats cannot read is no reason to stop.
    report.total = choice.all ? (try? waitingSize(broker, queue, choice.state)) ?? nil : choice.ids.count
    let progress = report.showProgress(context, label: verb)
    var notFound: [String] = []
    try report.run(context, broker) {
        try batches(broker, queue) { ids in
            let result = try report.call(size: ids.count) { try move(broker, queue, ids) }
            report[verb] += result.moved
            if deadLettering { report["dead_lettered"] += result.deadLettered }
            report["not_found"] += result.notFound.count
            notFound += result.notFound
            progress.update(done: report[verb] + report["dead_lettered"] + report["not_found"])
            try Interruption.checkpoint()
        }
    }
    if report["dead_lettered"] > 0 {
        context.stderr.write("mqctl: warning: \(report["dead_lettered"]) messages had no readable envelope and went to the dead letters; see `mqctl dlq list \(queue)`\n")
    }
    var fields: [(name: String, value: FieldValue)] = [("queue", .string(queue.rawValue)), (verb, .int(Int64(report[verb])))]
    if deadLettering { fields.append(("dead_lettered", .int(Int64(report["dead_lettered"])))) }
    fields += [("not_found", .list(notFound.map { .string($0) })), ("dry_run", .bool(false))]
    try context.output { $0.single(Record(fields)) }
    if !notFound.isEmpty {
        throw CommandFailure("not \(choice.place) in '\(queue)': \(notFound.joined(separator: ", "))")
    }
}

/// How many messages a waiting-set move would take, changing nothing: of
/// the ids given, those whose envelope is in the set's state (the rest
/// are reported not found); with --all, the set's size and its first ids.
private func planWaiting(_ broker: Broker, _ queue: QueueName, _ choice: WaitingChoice) throws -> (count: Int, notFound: [String], sample: [String]) {
    guard !choice.all else {
        let source: KillSource = choice.state == .delayed ? .delayed : .retry
        let sample = try broker.scheduledPage(queue, in: source, count: 10).map(\.id)
        return (try waitingSize(broker, queue, choice.state) ?? sample.count, [], sample)
    }
    let ids = try choice.ids.map(MessageID.validate)
    var count = 0
    var notFound: [String] = []
    var sample: [String] = []
    for start in stride(from: 0, to: ids.count, by: Broker.batchSize) {
        let batch = Array(ids[start..<min(start + Broker.batchSize, ids.count)])
        for (id, read) in zip(batch, try broker.readEnvelopes(queue, ids: batch)) {
            guard read.envelope?.state == choice.state else {
                notFound.append(id)
                continue
            }
            count += 1
            if sample.count < 10 { sample.append(id) }
        }
    }
    return (count, notFound, sample)
}

/// The size of a queue's delayed or retry set. One round trip.
private func waitingSize(_ broker: Broker, _ queue: QueueName, _ state: MessageState) throws -> Int? {
    guard let stats = try broker.stats([queue], allWhenEmpty: false).first else { return nil }
    return Int(state == .delayed ? stats.delayed : stats.retry)
}
