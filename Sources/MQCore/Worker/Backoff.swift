/// How long a failed message waits before its next attempt.
public struct Backoff: Sendable {
    public enum Curve: String, Sendable, CaseIterable {
        /// base · 2^attempt, capped.
        case exponential
        /// attempt⁴ + 15 s (Sidekiq's curve), capped.
        case polynomial
        /// base, every time.
        case fixed
    }

    public var curve: Curve
    /// Milliseconds.
    public var base: Int64
    public var maximum: Int64
    /// Full jitter: a uniform pick in [0, delay] for exponential, and up
    /// to 10 s per attempt on top for polynomial, so retries of a burst of
    /// failures spread out instead of arriving together.
    public var jitter: Bool

    public init(curve: Curve = .exponential, base: Int64 = 1_000, maximum: Int64 = 3_600_000, jitter: Bool = true) {
        self.curve = curve
        self.base = base
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The wait after failed attempt number `attempt` (1-based), in ms.
    public func delay(afterAttempt attempt: Int64) -> Int64 {
        switch curve {
        case .fixed:
            return min(base, maximum)
        case .exponential:
            let ceiling = min(maximum, base.multipliedReportingOverflow(by: 1 << min(attempt, 40)).partialValue)
            return jitter ? Int64.random(in: 0...max(0, ceiling)) : ceiling
        case .polynomial:
            let seconds = min(attempt, 10_000)
            var delay = (seconds * seconds * seconds * seconds + 15) * 1000
            if jitter { delay += Int64.random(in: 0...(10_000 * (attempt + 1))) }
            return min(maximum, delay)
        }
    }
}
