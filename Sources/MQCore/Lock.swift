import Glibc

/// A mutex over pthreads: Foundation's NSLock is not in FoundationEssentials,
/// and the binary leaves full Foundation (and ICU) out.
public final class Lock: @unchecked Sendable {
    // Heap-allocated: a pthread mutex must not move once initialised.
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A lock with a condition to wait on, as NSCondition was: `wait` is
/// called with the lock held, releases it while waiting, and takes it back.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = Lock()
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        condition = .allocate(capacity: 1)
        // Deadlines on the monotonic clock: a change of wall time moves none.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    public func lock() { mutex.lock() }
    public func unlock() { mutex.unlock() }
    public func withLock<T>(_ body: () throws -> T) rethrows -> T { try mutex.withLock(body) }
    public func signal() { pthread_cond_signal(condition) }

    /// The monotonic time `seconds` from now, for `wait(until:)`.
    public static func deadline(in seconds: Double) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nanoseconds = Int(now.tv_nsec) + Int((seconds.isFinite ? max(0, seconds) : 0) * 1e9)
        return timespec(tv_sec: now.tv_sec + nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
    }

    /// Waits (lock held) until signalled or the deadline; false once it has
    /// passed. Wake-ups may be spurious: callers re-check their state.
    public func wait(until deadline: timespec) -> Bool {
        var deadline = deadline
        return pthread_cond_timedwait(condition, mutex.mutex, &deadline) != ETIMEDOUT
    }
}
