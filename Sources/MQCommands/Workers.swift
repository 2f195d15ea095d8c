import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat

extension MQCtl {
    struct Workers: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "workers",
            abstract: "List running workers from their heartbeats; stale ones are marked.",
            discussion: "Example: mqctl workers -o json")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        func run(in context: CommandContext) throws {
            let broker = try context.broker()
            let now = broker.time.nowMilliseconds()
            let workers = try broker.workers()
            try context.output { renderer in
                renderer.beginList(key: "workers", columns: [
                    Column("id"), Column("queues"), Column("mode"), Column("concurrency", rightAligned: true),
                    Column("in_hand", rightAligned: true), Column("handled", rightAligned: true), Column("breaker"),
                    Column("last_seen_seconds", rightAligned: true), Column("status", isStatus: true),
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
}

