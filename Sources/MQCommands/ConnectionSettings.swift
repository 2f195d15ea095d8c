import MQParsing
import MQRedis

/// Where mqctl connects and as whom, resolved one way for the commands,
/// the shell's `connect` and shell completion: the URL from --url, then
/// $MQCTL_URL, then $REDIS_URL, then the local default; the password from
/// the URL, then $MQCTL_PASSWORD, then $REDISCLI_AUTH.
enum ConnectionSettings {
    static let defaultURL = "redis://127.0.0.1:6379/0"

    static func url(given: String?, environment: [String: String]) -> String {
        given ?? environment["MQCTL_URL"] ?? environment["REDIS_URL"] ?? defaultURL
    }

    static func password(environment: [String: String]) -> String? {
        environment["MQCTL_PASSWORD"] ?? environment["REDISCLI_AUTH"]
    }

    /// `url` parsed, its password filled in from the environment when it
    /// carries none.
    static func configuration(url: String, timeout: Double, environment: [String: String]) throws -> RedisConfiguration {
        var configuration = try RedisURL.parse(url, timeout: timeout)
        if configuration.password == nil { configuration.password = password(environment: environment) }
        return configuration
    }
}
