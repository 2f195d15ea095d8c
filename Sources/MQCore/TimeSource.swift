import Glibc
import Synchronization

/// Where the core reads the time, so tests of delays and leases can set it
/// instead of sleeping.
public protocol TimeSource: Sendable {
    func nowMilliseconds() -> Int64
}

/// The system's wall clock.
public struct SystemTime: TimeSource {
    public init() {}

    public func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// A clock that stands still until moved; for tests. A `TimeSource` is
/// Sendable (a worker reads it from threads of its own), so the reading
/// sits behind a lock; with a `Mutex` the compiler checks that claim
/// instead of taking it on trust (`@unchecked`).
public final class ManualTime: TimeSource {
    private let now: Mutex<Int64>

    public init(_ now: Int64) {
        self.now = Mutex(now)
    }

    public func nowMilliseconds() -> Int64 {
        now.withLock { $0 }
    }

    public func advance(milliseconds: Int64) {
        now.withLock { $0 += milliseconds }
    }
}
