import MQRedis

/// One queue's stats, or why they could not be read.
public struct QueueReading {
    public let queue: QueueRef
    public let result: Result<QueueStats, any Error>

    public init(queue: QueueRef, result: Result<QueueStats, any Error>) {
        self.queue = queue
        self.result = result
    }

    public var stats: QueueStats? { try? result.get() }

    public var error: (any Error)? {
        if case .failure(let error) = result { return error }
        return nil
    }
}

/// Server-wide figures an exporter gives beside the queues.
public struct ServerVitals: Equatable, Sendable {
    public struct Memory: Equatable, Sendable {
        /// `host:port` of a cluster's master; nil for a single server.
        public var node: String?
        public var usedBytes: Int64
        /// `maxmemory`: 0 when the server has no limit.
        public var maxBytes: Int64
    }

    public var memory: [Memory]
    /// Workers whose heartbeat is fresh.
    public var liveWorkers: Int64
    /// Summed over the masters: commands a second (Redis's own estimate)
    /// and clients connected.
    public var opsPerSecond: Int64 = 0
    public var connectedClients: Int64 = 0
}

/// When a paused queue was paused, as the audit log tells.
public enum PauseStart: Equatable, Sendable {
    /// The time of the `queues pause` entry (ms).
    case at(Int64)
    /// Earlier than the oldest entry the capped log still holds (its time, ms).
    case before(Int64)
    /// The log cannot tell: it is empty, or the queue was paused without
    /// an entry after its last resume.
    case unknown
}

extension Broker {
    /// Stats of native and layout queues, in the order given, each with its
    /// own error: a constant number of round trips while every queue reads,
    /// and one more per layout queue when a layout's batch fails, to find
    /// the queue that broke it. Throws only when Redis cannot be reached.
    public func statsReadings(_ refs: [QueueRef]) throws -> [QueueReading] {
        let native = try statsReadings(refs.compactMap { if case .native(let name) = $0 { name } else { nil } })
        let layoutQueues = refs.compactMap { if case .layout(let queue) = $0 { queue } else { nil } }
        var layout: [Result<QueueStats, any Error>]
        do {
            layout = try stats(layoutQueues).map { .success($0) }
        } catch let error as RedisClientError where error.isConnectionError {
            throw error
        } catch {
            layout = try layoutQueues.map { queue in
                do { return .success(try stats([queue])[0]) } catch let error as RedisClientError where error.isConnectionError {
                    throw error
                } catch {
                    return .failure(error)
                }
            }
        }
        var nativeResults = native.makeIterator(), layoutResults = layout.makeIterator()
        return refs.map { ref in
            if case .native = ref { QueueReading(queue: ref, result: nativeResults.next()!) }
            else { QueueReading(queue: ref, result: layoutResults.next()!) }
        }
    }

    /// Memory use of the server (of each master of a cluster) and the live
    /// workers: one round trip per master, and one for the workers.
    public func vitals() throws -> ServerVitals {
        var memory: [ServerVitals.Memory] = []
        var ops: Int64 = 0, clients: Int64 = 0
        let masters = try connection.everyMaster()
        for node in masters {
            // INFO's default sections (memory, stats, clients): one section a call before Redis 7.
            let text = try node.send("INFO").string()
            var fields: [Substring: Int64] = [:]
            for line in text.split(whereSeparator: \.isNewline) {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon]] = Int64(line[line.index(after: colon)...])
            }
            guard let used = fields["used_memory"] else {
                throw RedisClientError.unexpectedReply(expected: "INFO memory with used_memory", got: .bulk(Array(text.utf8)))
            }
            memory.append(.init(node: masters.count > 1 ? node.configuration.endpoint.description : nil,
                                usedBytes: used, maxBytes: fields["maxmemory"] ?? 0))
            ops += fields["instantaneous_ops_per_sec"] ?? 0
            clients += fields["connected_clients"] ?? 0
        }
        var vitals = ServerVitals(memory: memory, liveWorkers: try liveWorkerCount())
        (vitals.opsPerSecond, vitals.connectedClients) = (ops, clients)
        return vitals
    }

    /// When each of `queues` was last paused, read from the audit log newest
    /// first, 500 entries a round trip, until every queue is found or the
    /// log ends. Reads only; for the few queues that are paused.
    public func pauseStarts(_ queues: [QueueName]) throws -> [QueueName: PauseStart] {
        var wanted = Set(queues.map(\.rawValue))
        var found: [QueueName: PauseStart] = [:]
        var end = "+"
        var oldest: Int64?
        while !wanted.isEmpty {
            let entries = try connection.send("XREVRANGE", keys.audit, end, "-", "COUNT", 500).array()
            for entry in entries {
                let parts = try entry.array()
                let id = try parts[0].string()
                let fields = try parts[1].array().map { try $0.string() }
                var values: [String: String] = [:]
                for index in stride(from: 0, to: fields.count - 1, by: 2) { values[fields[index]] = fields[index + 1] }
                let at = Int64(id.prefix { $0 != "-" }) ?? 0
                oldest = at
                end = "(" + id
                guard let queue = values["queue"], wanted.contains(queue), let name = try? QueueName(queue) else { continue }
                switch values["command"] {
                case Self.pauseCommand: found[name] = .at(at)
                case Self.resumeCommand: found[name] = .unknown
                default: continue
                }
                wanted.remove(queue)
            }
            if entries.count < 500 { break }
        }
        for queue in queues where found[queue] == nil {
            found[queue] = oldest.map(PauseStart.before) ?? .unknown
        }
        return found
    }

    /// The audit commands `queues pause` and `queues resume` write.
    static let pauseCommand = "queues pause"
    static let resumeCommand = "queues resume"
}
