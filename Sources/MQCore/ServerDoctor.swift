import MQRedis

/// One finding of `doctor`.
public struct DoctorCheck: Equatable, Sendable {
    public enum Status: String, Sendable {
        case ok = "OK", warn = "WARN", unknown = "UNKNOWN"
    }

    public var name: String
    public var status: Status
    public var detail: String
}

/// Checks the server for settings that weaken mqctl's guarantees
/// (DESIGN.md §3): eviction, persistence, version, replication, cluster.
public enum ServerDoctor {
    public static func checks(_ connection: RedisConnection) throws -> [DoctorCheck] {
        let info = try ServerProbe.info(connection)
        var checks: [DoctorCheck] = []

        let numbers = info.version.split(separator: ".").compactMap { Int($0) }
        let recent = numbers.count >= 2 && (numbers[0], numbers[1]) >= (6, 2)
        checks.append(DoctorCheck(
            name: "version", status: recent ? .ok : .warn,
            detail: recent ? "Redis \(info.version)" : "Redis \(info.version) is older than 6.2; mqctl needs ZRANGE BYSCORE and SCAN TYPE"))

        // Managed Redis often refuses CONFIG: then the answer is unknown,
        // not a failure of the whole command.
        let config = try connection.pipeline([
            RedisCommand("CONFIG", "GET", "maxmemory-policy"), RedisCommand("CONFIG", "GET", "appendonly"),
        ])
        func setting(_ reply: RedisReply) -> Result<String, RedisServerError> {
            if case .error(let error) = reply { return .failure(error) }
            guard let items = try? reply.array(), items.count == 2, let value = try? items[1].string() else {
                return .failure(RedisServerError(message: "ERR no such setting"))
            }
            return .success(value)
        }
        switch setting(config[0]) {
        case .success(let policy):
            checks.append(policy == "noeviction"
                ? DoctorCheck(name: "maxmemory-policy", status: .ok, detail: "noeviction: a full Redis refuses writes instead of dropping keys")
                : DoctorCheck(name: "maxmemory-policy", status: .warn, detail: "\(policy): Redis may evict queue keys when memory is full; set noeviction"))
        case .failure(let error):
            checks.append(DoctorCheck(name: "maxmemory-policy", status: .unknown, detail: "CONFIG GET refused: \(error.message)"))
        }
        switch setting(config[1]) {
        case .success(let aof):
            checks.append(aof == "yes"
                ? DoctorCheck(name: "appendonly", status: .ok, detail: "AOF on: acknowledged writes survive a restart (up to appendfsync)")
                : DoctorCheck(name: "appendonly", status: .warn, detail: "AOF off: a restart loses writes since the last RDB snapshot"))
        case .failure(let error):
            checks.append(DoctorCheck(name: "appendonly", status: .unknown, detail: "CONFIG GET refused: \(error.message)"))
        }

        checks.append(info.role == "master"
            ? DoctorCheck(name: "role", status: .ok, detail: "master")
            : DoctorCheck(name: "role", status: .warn, detail: "\(info.role): this server is not the master; writes will be refused"))
        checks.append(info.connectedReplicas > 0
            ? DoctorCheck(name: "replicas", status: .ok, detail: "\(info.connectedReplicas) connected")
            : DoctorCheck(name: "replicas", status: .warn, detail: "no replicas: losing this server loses the queues"))
        // mqctl routes by slot (ClusterRouter): a cluster is fine; say so.
        checks.append(DoctorCheck(name: "cluster", status: .ok,
                                  detail: info.mode == "cluster" ? "cluster mode: commands are routed by slot, a queue's keys share one" : "\(info.mode)"))
        return checks
    }
}
