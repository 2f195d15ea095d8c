import MQCore
import MQFormat

/// Moves chosen messages out of a waiting set (delayed, retry), batch by
/// batch, then prints moved, dead_lettered (unreadable envelopes sent to
/// the dead set instead) and not_found. What was done is reported on every
/// way out (`BulkReport`); ids that were not there make the exit 1.
func moveWaiting(
    _ command: String, queue name: String, place: String, context: CommandContext,
    batches: (Broker, QueueName, ([String]) throws -> Void) throws -> Void,
    move: @escaping (Broker, QueueName, [String]) throws -> MoveResult
) throws {
    let queue = try QueueName(name)
    let broker = try context.broker()
    let report = BulkReport(command, queue: queue, verb: "moved", counts: ["moved", "dead_lettered", "not_found"])
    var notFound: [String] = []
    try report.run(context, broker) {
        try batches(broker, queue) { ids in
            let result = try report.call(size: ids.count) { try move(broker, queue, ids) }
            report["moved"] += result.moved
            report["dead_lettered"] += result.deadLettered
            report["not_found"] += result.notFound.count
            notFound += result.notFound
            try Interruption.checkpoint()
        }
    }
    if report["dead_lettered"] > 0 {
        context.stderr.write("mqctl: warning: \(report["dead_lettered"]) messages had no readable envelope and went to the dead letters; see `mqctl dlq list \(queue)`\n")
    }
    try context.output { $0.single([
        "queue": .string(queue.rawValue), "moved": .int(Int64(report["moved"])),
        "dead_lettered": .int(Int64(report["dead_lettered"])), "not_found": .list(notFound.map { .string($0) }),
    ]) }
    if !notFound.isEmpty {
        throw CommandFailure("not \(place) in '\(queue)': \(notFound.joined(separator: ", "))")
    }
}
