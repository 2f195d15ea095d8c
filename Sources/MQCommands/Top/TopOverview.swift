import MQCore
import MQFormat
import MQRedis
import MQTerminal

/// The dashboard's first screen: every queue, one row each, with the
/// server's vitals above. A refresh reads the vitals and the stats of the
/// queues on screen only, so it costs the same number of commands whatever
/// the number of queues or messages; rates come from the change between
/// refreshes, remembered for the sparklines.
struct TopOverview {
    struct Sample {
        var at: Double
        var processed: Int64, failed: Int64, enqueued: Int64
    }

    /// The queues the dashboard knows, in name order (read at the start
    /// and again on `R`: listing them costs a SCAN per layout pattern).
    var refs: [QueueRef]
    var selected = 0
    var offset = 0
    private(set) var readings: [String: QueueReading] = [:]
    private(set) var vitals: ServerVitals?
    private(set) var history: [String: [Sample]] = [:]
    /// What the last refresh cost.
    private(set) var commands = 0
    private(set) var roundTrips = 0
    private(set) var failure: String?
    /// Samples kept per queue: ten minutes at the default interval.
    static let historyLength = 300

    init(refs: [QueueRef]) {
        self.refs = refs.sorted { ($0.name, $0.layoutName) < ($1.name, $1.layoutName) }
    }

    static func key(_ ref: QueueRef) -> String { ref.layoutName + "/" + ref.name.rawValue }

    var selectedRef: QueueRef? { refs.indices.contains(selected) ? refs[selected] : nil }

    func reading(_ ref: QueueRef) -> QueueReading? { readings[Self.key(ref)] }

    /// Keeps the selection on screen in a window of `rows`.
    mutating func scroll(rows: Int) {
        selected = min(max(0, selected), max(0, refs.count - 1))
        if selected < offset { offset = selected }
        if selected >= offset + rows { offset = selected - rows + 1 }
        offset = min(max(0, offset), max(0, refs.count - rows))
    }

    /// Reads the vitals and the stats of the `rows` queues on screen.
    mutating func refresh(broker: Broker, rows: Int, now: Double) {
        scroll(rows: rows)
        let connection = broker.connection
        let (commandsBefore, tripsBefore) = (connection.commandsSent, connection.roundTrips)
        defer { (commands, roundTrips) = (connection.commandsSent - commandsBefore, connection.roundTrips - tripsBefore) }
        do {
            if !connection.isConnected { try connection.reconnect() }
            vitals = try broker.vitals()
            let window = Array(refs[offset..<min(refs.count, offset + rows)])
            for reading in try broker.statsReadings(window) {
                let key = Self.key(reading.queue)
                readings[key] = reading
                guard let stats = reading.stats else { continue }
                var samples = history[key] ?? []
                samples.append(Sample(at: now, processed: stats.processed, failed: stats.failed, enqueued: stats.enqueued))
                history[key] = Array(samples.suffix(Self.historyLength))
            }
            failure = nil
        } catch {
            failure = "\(error)"
        }
    }

    /// Per-second rates between successive samples of `ref`.
    func rates(_ ref: QueueRef, _ value: (Sample) -> Int64) -> [Double] {
        let samples = history[Self.key(ref)] ?? []
        return zip(samples, samples.dropFirst()).map { before, after in
            after.at > before.at ? Double(max(0, value(after) - value(before))) / (after.at - before.at) : 0
        }
    }
}

/// Numbers in a few characters: 999, 12.3k, 4.5M.
enum CompactNumber {
    static func text(_ value: Int64) -> String {
        switch value {
        case ..<10_000: String(value)
        case ..<1_000_000: String(printf: "%.1fk", Double(value) / 1000)
        default: String(printf: "%.1fM", Double(value) / 1_000_000)
        }
    }

    static func rate(_ value: Double) -> String {
        value < 10 ? String(printf: "%.1f", value) : text(Int64(value.rounded()))
    }

    static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var size = Double(value), unit = 0
        while size >= 1024 && unit < units.count - 1 { size /= 1024; unit += 1 }
        return unit == 0 ? "\(value) B" : String(printf: "%.1f", size) + " " + units[unit]
    }
}
