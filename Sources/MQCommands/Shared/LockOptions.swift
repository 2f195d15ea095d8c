import ArgumentParser
import MQCore
import MQParsing

/// The cron lock: on by default when stdin is not a terminal.
struct LockOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Take the queue's cron lock for the run (default: on when stdin is not a terminal).")
    var lock: Bool?

    @Flag(help: "When another run holds the lock, exit 0 instead of 75, saying so on stderr unless --quiet (implies --lock).")
    var skipIfLocked = false

    /// Only tests shorten it, to see renewals without waiting 30 s.
    @Option(name: .customLong("lock-ttl"), help: .hidden, transform: DurationValue.init(parsing:))
    var lockTTL: DurationValue?

    func validate() throws {
        if lock == false && skipIfLocked { throw ValidationError("--skip-if-locked needs the lock; drop --no-lock") }
        if let lockTTL, lockTTL.milliseconds < 300 { throw ValidationError("--lock-ttl must be at least 300ms") }
    }

    /// Runs `body` under the lock `command` on `queue` when it applies.
    /// While the lock is held SIGINT and SIGTERM only set a flag, which
    /// `CronLock.checkpoint()` turns into `Interrupted`, so the lock is
    /// released on every way out. With --skip-if-locked a held lock ends the
    /// whole command with exit 0.
    func withLock<T>(_ command: String, _ queue: QueueName, _ broker: Broker, _ context: CommandContext,
                     _ body: (CronLock?) throws -> T) throws -> T {
        guard lock ?? (skipIfLocked || !context.stdin.isTerminal) else { return try body(nil) }
        return try Interruption.catchingTermination {
            // A signal caught under an earlier queue's lock ends the command here.
            try Interruption.checkpoint()
            let held: CronLock
            do {
                held = try broker.lock(command, queue: queue, ttl: lockTTL?.milliseconds ?? CronLock.defaultTTL)
            } catch MQError.lockHeld(let name, let holder) where skipIfLocked {
                // Not an error: a cron wrapper tells this exit 0 from a
                // full queue or a busy Redis, which exit 75.
                if !context.quiet { context.stderr.write("skipped: another run holds the lock '\(name)': \(holder)\n") }
                throw ExitCode.success
            }
            defer { held.release() }
            if let gone = held.takenOver {
                context.stderr.write("mqctl: warning: took over the lock '\(held.name)' from \(gone), which is no longer running\n")
            }
            return try body(held)
        }
    }
}
