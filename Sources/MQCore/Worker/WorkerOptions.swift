import FoundationEssentials
import Glibc

/// What `mqctl work` was asked to do.
public struct WorkerOptions: Sendable {
    public var queues: [QueueName]
    /// Read a stream with a consumer group instead of queues.
    public var stream: (key: String, group: String, consumer: String?, deadStream: String?)?
    /// Queues of declared layouts, consumed from their own lists.
    public var layoutQueues: [LayoutQueue] = []
    public var command: [String]
    /// One long-lived handler per slot speaking JSON lines, instead of a
    /// process per message.
    public var pipe = false
    public var concurrency = 1
    /// Per message (exec) or per batch (pipe), ms.
    public var timeout: Int64 = 1_800_000
    /// Overrides the queue's max_attempts.
    public var maxAttempts: Int64?
    public var backoff = Backoff()
    /// Lease length, ms; renewed every third of it while a handler runs.
    public var lease: Int64 = 30_000
    /// Exit 0 once the queues are drained.
    public var burst = false
    public var maxJobs: Int?
    /// Open after this many consecutive failures...
    public var circuitBreaker: Int?
    /// ...for this long (ms), then let one message through.
    public var cooldown: Int64 = 30_000
    /// How long running handlers may finish after SIGTERM/SIGINT, ms.
    public var grace: Int64 = 30_000
    public var permanentExitCodes: Set<Int32> = [65]
    /// Variables the handler keeps though mqctl withholds them (its own
    /// connection settings and secrets).
    public var passEnvironment: Set<String> = []
    /// Messages fetched at once per slot (pipe mode takes more).
    public var batch = 1

    public init(queues: [QueueName], command: [String]) {
        self.queues = queues
        self.command = command
    }
}
