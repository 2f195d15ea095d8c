/// When a command that changes many messages asks before it runs. The
/// question always names the count ("Delete 150,000 of 300,000 dead
/// letters of 'notify'? [y/N]"), so it is counted first. `--yes` answers
/// every question; `--dry-run` asks none.
enum ConfirmationRule {
    /// Moves that lose nothing and are few: never asks.
    case never
    /// Destroys data (purge, cancel): asks on a terminal when there is
    /// anything to destroy; elsewhere refuses without `--yes`, changing
    /// nothing, whatever the count (so a cron line does not work on quiet
    /// days and fail on busy ones).
    case always
    /// Changes data without destroying it (replay): asks on a terminal when
    /// more than `threshold` messages would change; elsewhere runs, so cron
    /// lines need no `--yes`.
    case above(Int)

    /// `dlq replay` asks on a terminal above this many messages.
    static let replayThreshold = 1_000

    /// Whether a question may be put at the terminal, so the count must be
    /// exact before the run starts.
    func mayAsk(_ context: CommandContext) -> Bool {
        switch self {
        case .never: false
        case .always, .above: !context.assumeYes && context.stdin.isTerminal
        }
    }

    /// Asks when the rule says so for `count` messages (nil: not counted).
    func confirm(_ context: CommandContext, count: Int?, question: () -> String) throws {
        guard !context.assumeYes else { return }
        switch self {
        case .never:
            return
        case .always:
            if count == 0 && context.stdin.isTerminal { return }
            try context.confirm(question())
        case .above(let threshold):
            guard context.stdin.isTerminal, let count, count > threshold else { return }
            try context.confirm(question())
        }
    }
}
