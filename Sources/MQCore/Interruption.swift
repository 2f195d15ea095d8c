import Glibc

/// Ctrl-C inside the REPL: the shell sets the flag instead of dying, and
/// commands that run until interrupted (`stats --watch`, `depth --watch`,
/// `events`) look at it and return.
public enum Interruption {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    public static var requested: Bool { flag != 0 }

    public static func reset() { flag = 0 }

    /// Installs the SIGINT handler that sets the flag (no SA_RESTART, so a
    /// blocked read returns EINTR and the line editor gives up the line).
    public static func catchInterrupts() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interruption.flag = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// Sleeps up to `seconds`, returning early when interrupted.
    public static func sleep(_ seconds: Double) {
        let deadline = monotonic() + seconds
        while !requested && monotonic() < deadline { usleep(20_000) }
    }

    private static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
