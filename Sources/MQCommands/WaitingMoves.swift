import MQCore
import MQFormat

/// Moves chosen messages out of a waiting set (delayed, retry), batch by
/// batch, then writes the audit entry and prints moved and not_found. Ids
/// that were not there make the exit 1.
func moveWaiting(
    _ command: String, queue name: String, place: String, context: CommandContext,
    batches: (Broker, QueueName, ([String]) throws -> Void) throws -> Void,
    move: @escaping (Broker, QueueName, [String]) throws -> (moved: Int, notFound: [String])
) throws {
    let queue = try QueueName(name)
    let broker = try context.broker()
    var moved = 0
    var notFound: [String] = []
    try batches(broker, queue) { ids in
        let result = try move(broker, queue, ids)
        moved += result.moved
        notFound += result.notFound
    }
    try broker.audit(AuditEntry(command: command, queue: queue.rawValue, counts: [("moved", moved), ("not_found", notFound.count)]))
    try context.output { $0.single([
        "queue": .string(queue.rawValue), "moved": .int(Int64(moved)), "not_found": .list(notFound.map { .string($0) }),
    ]) }
    if !notFound.isEmpty {
        throw CommandFailure("not \(place) in '\(queue)': \(notFound.joined(separator: ", "))")
    }
}
