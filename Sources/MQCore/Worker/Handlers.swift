import Foundation
import MQFormat
import MQRedis

/// Runs a message through the user's handler command.
protocol Handler: AnyObject {
    /// Runs the deliveries (one in exec mode, a batch in pipe mode) and
    /// returns one result per delivery, in order. `stopNow` turns true when
    /// the worker must give up at once (second signal, end of grace).
    func process(_ deliveries: [Delivery], stopNow: () -> Bool) -> [AttemptResult]
    func shutdown()
}

/// The environment a handler sees for one message.
func handlerEnvironment(_ delivery: Delivery) -> [String: String] {
    let envelope = delivery.envelope
    return [
        "MQ_QUEUE": delivery.source, "MQ_ID": envelope.id, "MQ_ATTEMPT": String(envelope.attempts),
        "MQ_MAX_ATTEMPTS": String(envelope.maxAttempts), "MQ_PRIORITY": envelope.priority.rawValue,
        "MQ_ENQUEUED_AT": String(envelope.enqueuedAt), "MQ_HEADERS": Envelope.encodeHeaders(envelope.headers),
    ]
}

/// Exec mode: a new process per message, the payload on its stdin. Exit 0
/// acks; an exit code in `permanentExitCodes` is a permanent failure;
/// anything else (another code, a signal, the timeout) is a failure to
/// retry. The last 4 KiB of stderr become the error.
final class ExecHandler: Handler {
    let command: [String]
    let timeout: Double
    let permanentExitCodes: Set<Int32>
    static let errorTail = 4096

    init(command: [String], timeout: Double, permanentExitCodes: Set<Int32>) {
        self.command = command
        self.timeout = timeout
        self.permanentExitCodes = permanentExitCodes
    }

    func process(_ deliveries: [Delivery], stopNow: () -> Bool) -> [AttemptResult] {
        deliveries.map { run($0, stopNow: stopNow) }
    }

    func shutdown() {}

    private func run(_ delivery: Delivery, stopNow: () -> Bool) -> AttemptResult {
        let child: ChildProcess
        do {
            child = try ChildProcess(arguments: command, environment: handlerEnvironment(delivery),
                                     pipeStdin: true, pipeStdout: false, pipeStderr: true)
        } catch {
            return .failed(error: "\(error)", permanent: false)
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
        Self.drain(child.stderr, into: &stderrTail)
        if let outcome { return outcome }
        let code = ChildProcess.exitCode(status)
        if code == 0 { return .succeeded }
        let text = String(decoding: stderrTail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let error = ChildProcess.describe(status) + (text.isEmpty ? "" : ": " + text)
        return .failed(error: error, permanent: code.map(permanentExitCodes.contains) ?? false)
    }

    /// Reads what is there, keeping the last `errorTail` bytes.
    static func drain(_ fd: Int32, into tail: inout [UInt8]) {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
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
    private var child: ChildProcess?
    private var pending: [UInt8] = []
    private let log: (String) -> Void

    init(command: [String], timeout: Double, log: @escaping (String) -> Void) {
        self.command = command
        self.timeout = timeout
        self.log = log
    }

    func shutdown() {
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
            readAnswers(child, index: index, into: &results)
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
        pending = []
        let fresh = try ChildProcess(arguments: command, environment: [:], pipeStdin: true, pipeStdout: true, pipeStderr: false)
        child = fresh
        return fresh
    }

    private func restart() {
        child?.killGroup(SIGKILL)
        _ = child?.waitForExit(timeout: 5)
        child = nil
    }

    private func readAnswers(_ child: ChildProcess, index: [String: Int], into results: inout [AttemptResult?]) {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(child.stdout, $0.baseAddress!, $0.count) }
            guard n > 0 else { break }
            pending.append(contentsOf: chunk[..<n])
        }
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(pending[..<newline])
            pending.removeFirst(newline + 1)
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                  let id = object["id"] as? String, let ok = object["ok"] as? Bool else {
                log("pipe handler wrote a line that is not a result: \(String(decoding: line.prefix(200), as: UTF8.self))")
                continue
            }
            guard let position = index[id], results[position] == nil else {
                log("pipe handler answered for id '\(id)', which it was not given; ignored")
                continue
            }
            results[position] = ok ? .succeeded
                : .failed(error: (object["error"] as? String) ?? "the handler reported a failure", permanent: (object["permanent"] as? Bool) ?? false)
        }
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
