import ArgumentParser
import Foundation
import MQCore
import MQFormat

extension MQCtl {
    struct Workers: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "List running workers from their heartbeats; stale ones are marked.",
            discussion: "Example: mqctl workers -o json")

        @OptionGroup var globals: GlobalOptions

        func run(in context: CommandContext) throws {
            let broker = try context.broker()
            let now = broker.time.nowMilliseconds()
            let workers = try broker.workers()
            try context.output { renderer in
                renderer.beginList(key: "workers", columns: [
                    Column("id"), Column("queues"), Column("mode"), Column("concurrency", title: "SLOTS", rightAligned: true),
                    Column("in_hand", rightAligned: true), Column("handled", rightAligned: true), Column("breaker"),
                    Column("last_seen_seconds", title: "SEEN", rightAligned: true), Column("status", isStatus: true),
                ])
                for worker in workers {
                    func number(_ name: String) -> FieldValue { worker.fields[name].flatMap { Int64($0) }.map { .int($0) } ?? .null }
                    renderer.row([
                        "id": .string(worker.id), "host": worker.fields["host"].map { .string($0) } ?? .null, "pid": number("pid"),
                        "queues": worker.fields["queues"].map { .string($0) } ?? .null,
                        "mode": worker.fields["mode"].map { .string($0) } ?? .null, "concurrency": number("concurrency"),
                        "in_hand": number("in_hand"), "handled": number("handled"),
                        "breaker": worker.fields["breaker"].map { .string($0) } ?? .null,
                        "started": worker.fields["started"].flatMap { Int64($0) }.map { .time($0) } ?? .null,
                        "last_seen_seconds": .seconds(Double(now - worker.lastSeen) / 1000),
                        "status": .string(worker.stale ? "STALE" : "OK"),
                    ])
                }
                renderer.endList()
            }
        }
    }

    struct Events: MQCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the queues' lifecycle events live until Ctrl-C.",
            discussion: """
                Events come from workers and admin commands over Redis pub/sub: started, \
                succeeded, retried, dead, replayed. Nothing is stored: only events published \
                while this runs are shown. -o ndjson prints each event's JSON as it is.

                Example: mqctl events orders mail -o ndjson
                """)

        @OptionGroup var globals: GlobalOptions
        @Argument(help: "Queues to follow.", completion: .queueNames) var queues: [String]
        @Option(help: "Stop after N events.") var count: Int?

        func run(in context: CommandContext) throws {
            let names = try queues.map(QueueName.init)
            var seen = 0
            try context.broker().followEvents(names) { queue, json in
                if context.format == .json || context.format == .ndjson {
                    context.stdout.write(String(decoding: json, as: UTF8.self) + "\n")
                } else {
                    context.stdout.write(EventLine.text(queue, json) + "\n")
                }
                context.stdout.flush()
                seen += 1
                return count.map { seen < $0 } ?? true
            }
        }
    }
}


/// One event as a line for people: time, queue, event, id, then the rest.
enum EventLine {
    static func text(_ queue: QueueName, _ json: [UInt8]) -> String {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(json))) as? [String: String] else {
            return String(decoding: json, as: UTF8.self)
        }
        let time = object.removeValue(forKey: "time").flatMap { Int64($0) }.map { TimeText.rfc3339($0) } ?? "-"
        let event = object.removeValue(forKey: "event") ?? "?"
        let id = object.removeValue(forKey: "id") ?? "?"
        object.removeValue(forKey: "queue")
        let rest = object.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "\(time) \(queue) \(event) \(id)" + (rest.isEmpty ? "" : " " + rest)
    }
}
