import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQParsing
import MQRedis

extension CompletionKind {
    /// Live queue names for shell completion, from the Redis in MQCTL_URL
    /// (or REDIS_URL, or the default). Quietly nothing when Redis does not
    /// answer within half a second.
    static var queueNames: CompletionKind {
        .custom { _, _, prefix in
            let environment = ProcessInfo.processInfo.environment
            let url = ConnectionSettings.url(given: nil, environment: environment)
            guard let configuration = try? ConnectionSettings.configuration(url: url, timeout: 0.5, environment: environment),
                  let connection = try? RedisConnection(configuration: configuration),
                  let names = try? Broker(connection: connection, prefix: environment["MQCTL_PREFIX"] ?? "mq").queueNames()
            else { return [] }
            return names.map(\.rawValue).filter { $0.hasPrefix(prefix) }
        }
    }
}
