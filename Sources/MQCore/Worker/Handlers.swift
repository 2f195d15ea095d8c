import FoundationEssentials
import Glibc
import MQFormat
import MQParsing
import MQRedis

/// Runs a message through the user's handler command.
protocol Handler: AnyObject {
    /// Runs the deliveries (one in exec mode, a batch in pipe mode) and
    /// returns one result per delivery, in order. `stopNow` turns true when
    /// the worker must give up at once (second signal, end of grace).
    func process(_ deliveries: [Delivery], stopNow: () -> Bool) -> [AttemptResult]
    func shutdown()
}

/// The environment handlers start from: the worker's own, less what
/// carries mqctl's connection (MQCTL_URL and the other MQCTL_* settings,
/// REDIS_URL, REDISCLI_AUTH: the Redis password among them), any MQ_*
/// variable (the worker sets its own per message; one inherited from an
/// outer worker would be stale) and systemd's NOTIFY_SOCKET, WATCHDOG_USEC
/// and WATCHDOG_PID (a handler must not speak to the service manager as
/// the worker), except those the operator passes on purpose (`--pass-env`). Everything else stays: handlers expect the
/// PATH, HOME and application settings of the service they run in.
public struct HandlerEnvironment {
    let variables: [String: String]

    init(passing: Set<String> = [], from environment: [String: String] = ProcessInfo.processInfo.environment) {
        variables = environment.filter { passing.contains($0.key) || !Self.isWithheld($0.key) }
    }

    static func isWithheld(_ name: String) -> Bool {
        name.hasPrefix("MQCTL_") || name.hasPrefix("MQ_") || name == "REDIS_URL" || name == "REDISCLI_AUTH"
            || SystemdNotify.variables.contains(name)
    }

    /// Whether `name` can be given to `--pass-env`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("=") && !name.contains("\0")
    }

    /// The handler's PATH, to look the command up in.
    var path: String? { variables["PATH"] }

    func adding(_ more: [String: String]) -> [String: String] {
        variables.merging(more) { $1 }
    }

    /// The variables for one message.
    static func forMessage(_ delivery: Delivery) -> [String: String] {
        let envelope = delivery.envelope
        return [
            "MQ_QUEUE": delivery.source, "MQ_ID": envelope.id, "MQ_ATTEMPT": String(envelope.attempts),
            "MQ_MAX_ATTEMPTS": String(envelope.maxAttempts), "MQ_PRIORITY": envelope.priority.rawValue,
            "MQ_ENQUEUED_AT": String(envelope.enqueuedAt), "MQ_HEADERS": Envelope.encodeHeaders(envelope.headers),
        ]
    }
}

/// Exec mode: a new process per message, the payload on its stdin. Exit 0
/// acks; an exit code in `permanentExitCodes` is a permanent failure;
/// anything else (another code, a signal, the timeout) is a failure to
/// retry. The last 4 KiB of stderr become the error.
final class ExecHandler: Handler {
    let command: [String]
    let timeout: Double
    let permanentExitCodes: Set<Int32>
    private let environment: HandlerEnvironment
    static let errorTail = 4096

    init(command: [String], timeout: Double, permanentExitCodes: Set<Int32>, passEnvironment: Set<String> = []) {
        self.command = command
        self.timeout = timeout
        self.permanentExitCodes = permanentExitCodes
        environment = HandlerEnvironment(passing: passEnvironment)
    }

    func process(_ deliveries: [Delivery], stopNow: () -> Bool) -> [AttemptResult] {
        deliveries.map { run($0, stopNow: stopNow) }
    }

    func shutdown() {}

    private func run(_ delivery: Delivery, stopNow: () -> Bool) -> AttemptResult {
        let child: ChildProcess
        do {
            child = try ChildProcess(command: HandlerCommand(resolving: command, path: environment.path),
                                     environment: environment.adding(HandlerEnvironment.forMessage(delivery)),
                                     pipeStdin: true, pipeStdout: false, pipeStderr: true)
        } catch {
            return .failed(error: "\(error)", permanent: (error as? HandlerStartError)?.permanent ?? false)
        }
        let payload = delivery.envelope.payload
        var written = 0
        var stderrTail: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var outcome: AttemptResult?
        if payload.isEmpty { child.closeStdin() }
        while child.poll() == nil {
            if stopNow() {
                child.killGroup(SIGKILL)
                outcome = .interrupted
                break
            }
            if Date() >= deadline {
                child.killGroup(SIGKILL)
                outcome = .failed(error: "timed out after \(Int(timeout))s; the handler's process group was killed", permanent: false)
                break
            }
            var fds = [pollfd(fd: child.stderr, events: Int16(POLLIN), revents: 0)]
            if child.stdin >= 0 { fds.append(pollfd(fd: child.stdin, events: Int16(POLLOUT), revents: 0)) }
            _ = Glibc.poll(&fds, nfds_t(fds.count), 20)
            Self.drain(child.stderr, into: &stderrTail)
            if child.stdin >= 0, fds.count > 1, fds[1].revents != 0 {
                let n = payload.withUnsafeBytes { write(child.stdin, $0.baseAddress! + written, payload.count - written) }
                if n > 0 { written += n }
                // A handler that exits without reading its stdin is no error.
                if written == payload.count || (n < 0 && errno != EAGAIN) { child.closeStdin() }
            }
        }
        let status = child.waitForExit(timeout: 5) ?? 0
        // What is left in the pipe; bounded, as a process that escaped the
        // group may hold it open and keep writing.
        Self.drain(child.stderr, into: &stderrTail, chunks: 64)
        if let outcome { return outcome }
        let code = ChildProcess.exitCode(status)
        if code == 0 { return .succeeded }
        let text = String(decoding: stderrTail, as: UTF8.self).trimmingWhitespace()
        let error = ChildProcess.describe(status) + (text.isEmpty ? "" : ": " + text)
        return .failed(error: error, permanent: code.map(permanentExitCodes.contains) ?? false)
    }

    /// Reads what is there, at most `chunks` reads so that a handler
    /// writing without pause cannot hold the loop past its deadline,
    /// keeping the last `errorTail` bytes.
    static func drain(_ fd: Int32, into tail: inout [UInt8], chunks: Int = 4) {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        for _ in 0..<chunks {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            guard n > 0 else { return }
            tail.append(contentsOf: chunk[..<n])
            if tail.count > errorTail { tail.removeFirst(tail.count - errorTail) }
        }
    }
}

/// Pipe mode: one long-lived handler process. The worker writes one JSON
/// line per message to its stdin, `{"id", "queue", "attempt", "headers",
/// "payload"}` (with `"payload_encoding": "base64"` when the payload is not
/// UTF-8), and reads one JSON line per result from its stdout, `{"id",
/// "ok": true}` or `{"id", "ok": false, "error": "...", "permanent": bool}`.
/// A handler that exits or times out is killed and started again; the
/// messages it did not answer are failures to retry.
final class PipeHandler: Handler {
    let command: [String]
    let timeout: Double
    /// The longest answer line read; a handler writing more without a
    /// newline is failed and restarted instead of filling the worker.
    static let replyLineLimit = 1 << 20
    /// Read per turn of the loop, so that the deadline and a stop are
    /// checked however fast the handler writes.
    static let readBudget = 16
    private let environment: HandlerEnvironment
    private var child: ChildProcess?
    private var replies = LineReader(limit: PipeHandler.replyLineLimit)
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private let warnings: WarningThrottle
    private let log: (String) -> Void

    init(command: [String], timeout: Double, passEnvironment: Set<String> = [], log: @escaping (String) -> Void) {
        self.command = command
        self.timeout = timeout
        self.log = log
        environment = HandlerEnvironment(passing: passEnvironment)
        warnings = WarningThrottle(log: log)
    }

    func shutdown() {
        warnings.flush(force: true)
        guard let child else { return }
        child.closeStdin()
        if child.waitForExit(timeout: 2) == nil { child.killGroup(SIGKILL) }
        self.child = nil
    }

    func process(_ deliveries: [Delivery], stopNow: () -> Bool) -> [AttemptResult] {
        var results = [AttemptResult?](repeating: nil, count: deliveries.count)
        let index = Dictionary(deliveries.enumerated().map { ($1.envelope.id, $0) }, uniquingKeysWith: { first, _ in first })
        let child: ChildProcess
        do {
            child = try running()
        } catch {
            return deliveries.map { _ in .failed(error: "\(error)", permanent: false) }
        }
        var output = deliveries.flatMap { Self.line(for: $0) }
        var written = 0
        let deadline = Date().addingTimeInterval(timeout)
        var failure: String?
        defer { warnings.flush() }
        while results.contains(where: { $0 == nil }) {
            if stopNow() {
                restart()
                return results.map { $0 ?? .interrupted }
            }
            if Date() >= deadline {
                failure = "timed out after \(Int(timeout))s; the handler was killed and restarted"
                break
            }
            if let status = child.poll() {
                failure = "the pipe handler ended (\(ChildProcess.describe(status))) before answering"
                break
            }
            var fds = [pollfd(fd: child.stdout, events: Int16(POLLIN), revents: 0)]
            if written < output.count { fds.append(pollfd(fd: child.stdin, events: Int16(POLLOUT), revents: 0)) }
            _ = Glibc.poll(&fds, nfds_t(fds.count), 20)
            if written < output.count {
                let n = output.withUnsafeBytes { write(child.stdin, $0.baseAddress! + written, output.count - written) }
                if n > 0 { written += n }
                if written == output.count { output = [] ; written = 0 }
            }
            if let problem = readAnswers(child, index: index, into: &results) {
                failure = problem + "; the handler was killed and restarted"
                break
            }
        }
        if let failure {
            restart()
            return results.map { $0 ?? .failed(error: failure, permanent: false) }
        }
        return results.map { $0! }
    }

    private func running() throws -> ChildProcess {
        if let child, child.poll() == nil { return child }
        if let old = child, let status = old.status { log("pipe handler ended (\(ChildProcess.describe(status))); starting it again") }
        replies = LineReader(limit: Self.replyLineLimit)
        let fresh = try ChildProcess(command: HandlerCommand(resolving: command, path: environment.path), environment: environment.variables,
                                     pipeStdin: true, pipeStdout: true, pipeStderr: false)
        child = fresh
        return fresh
    }

    private func restart() {
        child?.killGroup(SIGKILL)
        _ = child?.waitForExit(timeout: 5)
        child = nil
    }

    /// Reads up to `readBudget` chunks and records the results on the
    /// complete lines. Returns why the handler cannot answer any more (a
    /// line over the limit, its stdout closed), else nil.
    private func readAnswers(_ child: ChildProcess, index: [String: Int], into results: inout [AttemptResult?]) -> String? {
        for _ in 0..<Self.readBudget {
            let n = chunk.withUnsafeMutableBytes { read(child.stdout, $0.baseAddress!, $0.count) }
            if n == 0 { return "the pipe handler closed its stdout" }
            guard n > 0 else { return nil }
            replies.append(chunk[..<n])
            while let line = replies.nextLine() { take(line, index: index, into: &results) }
            if replies.overflowed { return "the pipe handler wrote a line longer than \(Self.replyLineLimit >> 20) MiB without a newline" }
        }
        return nil
    }

    private func take(_ line: ArraySlice<UInt8>, index: [String: Int], into results: inout [AttemptResult?]) {
        // Only an object can be a result: other lines skip the JSON parser.
        let first = line.first { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard first == UInt8(ascii: "{"), let members = try? JSONReader.object(Array(line)),
              case .string(let id)? = members.first(where: { $0.name == "id" })?.value,
              case .bool(let ok)? = members.first(where: { $0.name == "ok" })?.value else {
            warnings.warn("pipe handler wrote a line that is not a result: \(String(decoding: line.prefix(200), as: UTF8.self))")
            return
        }
        guard let position = index[id], results[position] == nil else {
            warnings.warn("pipe handler answered for id '\(id)', which it was not given; ignored")
            return
        }
        results[position] = ok ? .succeeded
            : .failed(error: (try? members.first(where: { $0.name == "error" })?.string()) ?? "the handler reported a failure",
                      permanent: members.first(where: { $0.name == "permanent" })?.value == .bool(true))
    }

    static func line(for delivery: Delivery) -> [UInt8] {
        let envelope = delivery.envelope
        var line = "{\"attempt\":\(envelope.attempts),\"headers\":\(JSONText.object(envelope.headers)),\"id\":\(JSONText.quote(envelope.id)),"
        if let text = String(validating: envelope.payload, as: UTF8.self) {
            line += "\"payload\":\(JSONText.quote(text)),"
        } else {
            line += "\"payload\":\"\(Data(envelope.payload).base64EncodedString())\",\"payload_encoding\":\"base64\","
        }
        line += "\"queue\":\(JSONText.quote(delivery.source))}\n"
        return Array(line.utf8)
    }
}
