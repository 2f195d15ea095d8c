import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Seq: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seq",
            abstract: "Dump, read, advance, set, export and restore INCR sequence counters (seq:*).",
            discussion: "Example: mqctl seq dump --pattern 'seq:conv-*'",
            subcommands: [Dump.self, Get.self, Next.self, Set.self, Export.self, Restore.self])
    }
}

enum CounterRecords {
    static let columns = [Column("key"), Column("value", rightAligned: true), Column("ttl", rightAligned: true), Column("problem")]

    static func row(_ reading: CounterReading) -> Record {
        var record: Record = [
            "key": .string(reading.key), "value": reading.value.map { .int($0) } ?? .null,
            "ttl": reading.ttl.map { .int($0) } ?? .null,
        ]
        if let problem = reading.problem { record.fields.append(("problem", .string(problem))) }
        return record
    }
}
