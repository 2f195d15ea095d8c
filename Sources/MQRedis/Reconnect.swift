import Glibc

/// How long-running callers (the worker, `--watch`, the REPL) wait between
/// attempts to reach a server that went away: exponential backoff with a cap.
public struct ReconnectPolicy: Sendable {
    public var initialDelay: Double
    public var maximumDelay: Double
    /// Attempts after the first failure; nil retries until the server is back.
    public var maximumAttempts: Int?

    public init(initialDelay: Double = 0.1, maximumDelay: Double = 5, maximumAttempts: Int? = nil) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    /// The wait before attempt `attempt` (1-based).
    public func delay(beforeAttempt attempt: Int) -> Double {
        min(maximumDelay, initialDelay * pow(2, Double(attempt - 1)))
    }
}

extension RedisConnection {
    /// Runs `body`; when it fails because the connection broke or the
    /// server is unreachable, reconnects with backoff and runs it again.
    /// Server errors are not retried. `body` must be safe to repeat: a
    /// command whose reply was lost may have run.
    public func withReconnect<T>(
        _ policy: ReconnectPolicy = ReconnectPolicy(),
        onRetry: (_ error: Error, _ attempt: Int, _ delay: Double) -> Void = { _, _, _ in },
        _ body: (RedisConnection) throws -> T
    ) throws -> T {
        var attempt = 0
        while true {
            do {
                if !isConnected { try reconnect() }
                return try body(self)
            } catch let error as RedisClientError where error.isConnectionError {
                attempt += 1
                if let limit = policy.maximumAttempts, attempt > limit { throw error }
                let delay = policy.delay(beforeAttempt: attempt)
                onRetry(error, attempt, delay)
                close()
                usleep(UInt32(delay * 1_000_000))
            }
        }
    }
}
