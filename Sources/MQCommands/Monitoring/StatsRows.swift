import MQCore
import MQFormat

/// `stats` rows for tables, JSON and CSV: a queue read as `Records.stats`
/// has it, without a latency when nothing is ready, and a queue that could
/// not be read as an ERROR row beside the others.
enum StatsRows {
    /// The columns for `readings`: an `error` column only when a queue
    /// failed, and in tables a WAITING column only when a head message
    /// became due well after it was enqueued (replayed, delayed, retried).
    static func columns(_ readings: [QueueReading], format: OutputFormat, base: [Column]) -> [Column] {
        var columns = base
        if format.isTable {
            if readings.contains(where: { $0.queue.layoutName != "native" }) { columns.insert(Column("layout"), at: 1) }
            if readings.contains(where: { $0.stats.map(waitDiffers) ?? false }),
               let latency = columns.firstIndex(where: { $0.name == "latency_seconds" }) {
                columns.insert(Column("waiting_seconds", rightAligned: true), at: latency + 1)
            }
        }
        if readings.contains(where: { $0.error != nil }) { columns.append(Column("error")) }
        return columns
    }

    /// One row; `error` is the message of a queue that could not be read.
    static func row(_ reading: QueueReading, error: String?, format: OutputFormat) -> Record {
        guard let stats = reading.stats else {
            // The fields of every other row, empty, so a program reads one shape.
            // Tables and CSV look nested values up by their dotted names; JSON nests them.
            var names: [String] = []
            for column in Records.statsColumns {
                let name = format.isTable || format == .csv ? column.name : String(column.name.prefix { $0 != "." })
                if names.last != name { names.append(name) }
            }
            var fields = names.map { (name: $0, value: FieldValue.null) }
            fields[0].value = .string(reading.queue.name.rawValue)
            fields[1].value = .string(reading.queue.layoutName)
            if let status = fields.firstIndex(where: { $0.name == "status" }) { fields[status].value = .string("ERROR") }
            if format.isTable { fields.append(("waiting_seconds", .null)) }
            return Record(fields + [("error", .string(error ?? "unreadable"))])
        }
        var record = Records.stats(stats)
        if let index = record.fields.firstIndex(where: { $0.name == "latency_seconds" }) {
            // An empty queue has no oldest message: no latency, not 0.
            record.fields[index].value = stats.latency.map(FieldValue.seconds) ?? .null
        }
        if format.isTable {
            record.fields.append(("waiting_seconds", stats.latency == nil ? .null : stats.waitingSeconds.map(FieldValue.seconds) ?? .null))
        }
        return record
    }

    /// Whether the wait since due is a second or more shorter than the age.
    private static func waitDiffers(_ stats: QueueStats) -> Bool {
        guard let latency = stats.latency, let waiting = stats.waitingSeconds else { return false }
        return latency - waiting >= 1
    }
}
