import Glibc

/// SIGINT and SIGTERM turned into a flag instead of death: inside the REPL
/// (Ctrl-C), where commands that run until interrupted (`stats --watch`,
/// `depth --watch`, `events`) look at it and return; and while a bulk mover
/// holds a cron lock, where the work stops at its next checkpoint and the
/// lock is released on the way out instead of being left to expire.
public enum Interruption {
    /// The number of the signal that arrived, 0 for none.
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    public static var requested: Bool { flag != 0 }

    public static func reset() { flag = 0 }

    /// Installs the SIGINT handler that sets the flag (no SA_RESTART, so a
    /// blocked read returns EINTR and the line editor gives up the line).
    public static func catchInterrupts() {
        _ = install(SIGINT)
    }

    /// Runs `body` with SIGINT and SIGTERM setting the flag, then puts back
    /// whatever handled them before (the default, or the REPL's handler).
    /// The flag stays set, so a signal that came after the body's last
    /// checkpoint still stops the command at its next one (another queue's
    /// lock, say) instead of being lost.
    public static func catchingTermination<T>(_ body: () throws -> T) rethrows -> T {
        var previous = [SIGINT, SIGTERM].map { ($0, install($0)) }
        defer {
            for index in previous.indices { sigaction(previous[index].0, &previous[index].1, nil) }
        }
        return try body()
    }

    /// Throws `Interrupted` when a signal arrived: called between batches,
    /// so a run stops where its finished work stays finished.
    public static func checkpoint() throws {
        let signal = flag
        if signal != 0 { throw Interrupted(signal: signal) }
    }

    /// Sleeps up to `seconds`, returning early when interrupted.
    public static func sleep(_ seconds: Double) {
        let deadline = monotonic() + seconds
        while !requested && monotonic() < deadline { usleep(20_000) }
    }

    /// Points `signal` at the flag; returns the action it replaces.
    private static func install(_ signal: Int32) -> sigaction {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { Interruption.flag = $0 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        var previous = sigaction()
        sigaction(signal, &action, &previous)
        return previous
    }

    private static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// A run stopped by SIGINT or SIGTERM at a checkpoint. Its own type rather
/// than an `MQError` case, so the exit-code mapping can place it without
/// every exhaustive switch over `MQError` changing.
public struct Interrupted: Error, Equatable, CustomStringConvertible {
    public let signal: Int32

    public init(signal: Int32) {
        self.signal = signal
    }

    /// SIGINT, SIGTERM, or the number of another signal.
    public var signalName: String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }

    public var description: String {
        "interrupted by \(signalName); what was done before it stays done"
    }
}
