/// Redis Sentinel: the master is looked up at every connect, so a
/// reconnect after a failover finds the new one.
extension RedisConnection {
    /// Asks each sentinel in turn for the master's address; the first that
    /// knows it answers.
    static func askSentinels(_ settings: SentinelSettings, configuration: RedisConfiguration) throws -> RedisEndpoint {
        var problems: [String] = []
        for sentinel in settings.sentinels {
            // Sentinels are asked without the master's credentials.
            var asking = RedisConfiguration(endpoint: sentinel, timeout: configuration.timeout, clientName: nil)
            asking.tls = configuration.tls
            do {
                let reply = try RedisConnection(configuration: asking, discoverCluster: false)
                    .send("SENTINEL", "GET-MASTER-ADDR-BY-NAME", settings.masterName)
                guard !reply.isNull else {
                    problems.append("\(sentinel) does not know it")
                    continue
                }
                let address = try reply.array().map { try $0.string() }
                guard address.count == 2, let port = Int(address[1]) else {
                    throw RedisClientError.unexpectedReply(expected: "host and port", got: reply)
                }
                return .tcp(host: address[0], port: port)
            } catch {
                problems.append("\(sentinel): \(error)")
            }
        }
        throw RedisClientError.noMaster(name: settings.masterName, reason: problems.joined(separator: "; "))
    }

    /// A sentinel's answer may be stale during a failover: the server must
    /// say it is the master (ROLE) before mqctl writes to it.
    func checkIsMaster(_ settings: SentinelSettings, endpoint: RedisEndpoint) throws {
        let role = try send("ROLE").array().first?.string()
        guard role == "master" else {
            throw RedisClientError.noMaster(name: settings.masterName, reason: "\(endpoint) is a \(role ?? "server of unknown role") now")
        }
    }

    /// READONLY from a master found through sentinels means it was demoted
    /// (a failover): drop the connection so the next connect asks again.
    /// The refused writes did not happen, so callers may retry.
    func checkNotDemoted(_ replies: [RedisReply]) throws {
        guard let settings = configuration.sentinel,
              replies.contains(where: { if case .error(let error) = $0 { return error.kind == .readOnly }; return false })
        else { return }
        close()
        throw RedisClientError.noMaster(name: settings.masterName, reason: "the master became a replica (failover); reconnecting")
    }
}
