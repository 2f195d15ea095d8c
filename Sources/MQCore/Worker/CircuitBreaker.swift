import FoundationEssentials
import Glibc

/// Stops fetching after `threshold` consecutive failures, for `cooldown`
/// seconds, then lets one message through as a trial: its success closes
/// the breaker, its failure opens it again. Not thread-safe: the worker
/// holds its lock around every call.
struct CircuitBreaker {
    let threshold: Int?
    let cooldown: Double
    private var consecutiveFailures = 0
    private var openUntil: Double?
    private var trialOut = false

    init(threshold: Int?, cooldown: Double) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    enum Admission: Equatable {
        /// Closed: fetch as usual.
        case batch
        /// Half-open: fetch one message, the trial.
        case trial
    }

    var state: String { openUntil == nil ? "closed" : trialOut ? "half-open" : "open" }

    /// What a slot may fetch now; nil while open (wait and ask again).
    mutating func admit(now: Double) -> Admission? {
        guard let openUntil else { return .batch }
        guard now >= openUntil, !trialOut else { return nil }
        trialOut = true
        return .trial
    }

    /// The trial fetch found nothing: the next fetch is the trial.
    mutating func trialFoundNothing() {
        trialOut = false
    }

    /// Counts settled attempts; returns a line to log when the breaker
    /// opens or closes.
    mutating func record(_ results: [AttemptResult], now: Double) -> String? {
        guard let threshold, !results.isEmpty else { return nil }
        let failedAll = results.allSatisfy { if case .failed = $0 { return true } else { return false } }
        if failedAll {
            consecutiveFailures += results.count
            if trialOut || (openUntil == nil && consecutiveFailures >= threshold) {
                openUntil = now + cooldown
                trialOut = false
                return "circuit breaker open after \(consecutiveFailures) consecutive failures"
            }
        } else {
            consecutiveFailures = 0
            if openUntil != nil {
                openUntil = nil
                trialOut = false
                return "circuit breaker closed"
            }
        }
        return nil
    }
}
