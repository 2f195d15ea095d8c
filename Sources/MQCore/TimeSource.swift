import Glibc

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

/// A clock that stands still until moved; for tests.
public final class ManualTime: TimeSource, @unchecked Sendable {
    private var now: Int64

    public init(_ now: Int64) {
        self.now = now
    }

    public func nowMilliseconds() -> Int64 { now }

    public func advance(milliseconds: Int64) {
        now += milliseconds
    }
}
