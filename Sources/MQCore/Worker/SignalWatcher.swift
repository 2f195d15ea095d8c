import Dispatch
import FoundationEssentials
import Glibc

/// SIGINT and SIGTERM taken by a thread of ours with sigwait while a
/// worker runs: the signals are blocked in the starting thread, and so in
/// every thread started after it (handlers get an empty mask when spawned).
/// `stop` ends the thread and restores the starting thread's mask, so a
/// shell that ran `work` gets its Ctrl-C back.
final class SignalWatcher: @unchecked Sendable {
    private var previousMask = sigset_t()
    private let lock = Lock()
    private var thread: pthread_t?
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    /// Blocks the signals and starts watching; `onSignal` runs on the
    /// watcher's thread for each one.
    init(onSignal: @escaping @Sendable (Int32) -> Void) {
        var signals = Self.watched
        pthread_sigmask(SIG_BLOCK, &signals, &previousMask)
        startThread { [self] in
            lock.withLock { thread = pthread_self() }
            var waitFor = Self.watched
            var caught: Int32 = 0
            while true {
                sigwait(&waitFor, &caught)
                if lock.withLock({ stopped }) { break }
                onSignal(caught)
            }
            done.signal()
        }
        while lock.withLock({ thread == nil }) { usleep(1_000) }
    }

    /// Ends the watcher thread (woken by a signal sent to it alone) and
    /// puts the starting thread's mask back. Call from the starting thread.
    func stop() {
        let target: pthread_t? = lock.withLock {
            guard !stopped else { return nil }
            stopped = true
            return thread
        }
        guard let target else { return }
        pthread_kill(target, SIGTERM)
        done.wait()
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
    }

    private static var watched: sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        return signals
    }
}
