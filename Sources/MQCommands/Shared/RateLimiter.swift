import FoundationEssentials
import Glibc
import MQCore

/// Paces bulk work to at most `rate` items a second.
struct RateLimiter {
    let rate: Int?
    private let started = Date()

    init(rate: Int?) {
        self.rate = rate
    }

    /// Sleeps until `done` items are due; Ctrl-C and SIGTERM cut the
    /// sleep short, so the run stops at once at its next checkpoint.
    func pace(done: Int) {
        guard let rate, rate > 0 else { return }
        let due = Double(done) / Double(rate) - Date().timeIntervalSince(started)
        if due > 0 { Interruption.sleep(due) }
    }
}
