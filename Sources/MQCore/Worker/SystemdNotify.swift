import FoundationEssentials
import Glibc
import MQRedis

/// The service manager's notify protocol (sd_notify(3)) without libsystemd:
/// newline-separated `KEY=value` assignments in one datagram to the
/// AF_UNIX socket named by `$NOTIFY_SOCKET` (a path, or `@name` for an
/// abstract socket: a leading NUL byte). The worker says `READY=1` once it
/// is registered and about to take messages, `WATCHDOG=1` from its
/// maintenance loop while that loop goes round (every half of
/// `$WATCHDOG_USEC`), `STOPPING=1` when shutdown begins, and `STATUS=`
/// lines for `systemctl status`. Sending is best effort: a failure is
/// logged once, at debug level, and otherwise ignored.
public final class SystemdNotify: @unchecked Sendable {
    private let fd: Int32
    private var address = sockaddr_un()
    private let addressLength: socklen_t
    /// Half of `$WATCHDOG_USEC`, in seconds: how often to ping; nil when
    /// no watchdog is asked for (or it is another process's).
    public let watchdogInterval: Double?
    private let log: (String) -> Void
    private let lock = Lock()
    private var failed = false
    private var lastPing = -Double.infinity
    private var lastStatus: String?
    private var lastStatusAt = -Double.infinity

    /// The variables of the protocol: withheld from handlers, which must
    /// not speak to the service manager as the worker.
    public static let variables: Set<String> = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]

    /// Nil when `$NOTIFY_SOCKET` is unset or unusable (not a path or
    /// abstract name, or too long for a socket address).
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment, pid: Int32 = getpid(),
                 log: @escaping (String) -> Void = { _ in }) {
        guard let name = environment["NOTIFY_SOCKET"], name.count > 1, name.hasPrefix("/") || name.hasPrefix("@") else { return nil }
        var bytes = Array(name.utf8)
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A path needs room for its NUL; an abstract name is counted, not terminated.
        guard bytes.count < capacity || (bytes[0] == 0 && bytes.count <= capacity) else { return nil }
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return nil }
        fd = socket
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        addressLength = socklen_t(pathOffset + bytes.count + (bytes[0] == 0 ? 0 : 1))
        self.log = log
        if let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0,
           environment["WATCHDOG_PID"].map({ Int32($0) == pid }) ?? true {
            watchdogInterval = Double(usec) / 2_000_000
        } else {
            watchdogInterval = nil
        }
    }

    deinit { close(fd) }

    /// Sends `assignments` (`KEY=value` each) in one datagram.
    public func send(_ assignments: [String]) {
        let message = Array(assignments.joined(separator: "\n").utf8)
        let sent = message.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, addressLength)
                }
            }
        }
        guard sent < 0 else { return }
        let reason = String(cString: strerror(errno))
        let first = lock.withLock { () -> Bool in
            defer { failed = true }
            return !failed
        }
        if first { log("systemd notify: cannot send to $NOTIFY_SOCKET (\(reason)); not trying to say so again") }
    }

    /// `READY=1` with the worker's pid and what it is doing.
    public func ready(status: String) {
        note(status)
        send(["READY=1", "MAINPID=\(getpid())", "STATUS=\(status)"])
    }

    /// `STOPPING=1`; `extendSeconds`, when given, asks for that long
    /// before the stop times out (the grace period and some cleanup),
    /// whatever TimeoutStopSec= says.
    public func stopping(status: String, extendSeconds: Double?) {
        note(status)
        var message = ["STOPPING=1", "STATUS=\(status)"]
        if let extendSeconds { message.append("EXTEND_TIMEOUT_USEC=\(UInt64(extendSeconds * 1_000_000))") }
        send(message)
    }

    /// Remembers the status sent, so `status` repeats nothing.
    private func note(_ status: String) {
        lock.withLock {
            lastStatus = status
            lastStatusAt = monotonicSeconds()
        }
    }

    /// `STATUS=` when it changed, at most once a second unless `now`.
    public func status(_ text: String, now: Bool = false) {
        let due = lock.withLock { () -> Bool in
            let time = monotonicSeconds()
            guard text != lastStatus, now || time - lastStatusAt >= 1 else { return false }
            lastStatus = text
            lastStatusAt = time
            return true
        }
        if due { send(["STATUS=\(text)"]) }
    }

    /// `WATCHDOG=1` when half the watchdog interval has passed since the
    /// last one; call it from a loop that goes round only while the worker
    /// is healthy.
    public func watchdogIfDue() {
        guard let watchdogInterval else { return }
        let due = lock.withLock { () -> Bool in
            let time = monotonicSeconds()
            guard time - lastPing >= watchdogInterval else { return false }
            lastPing = time
            return true
        }
        if due { send(["WATCHDOG=1"]) }
    }
}

/// Whether stderr is the journal's stream: systemd sets `$JOURNAL_STREAM`
/// to the device and inode (`DEV:INO`, decimal) of the stream it connected
/// stdout/stderr to; a stderr redirected elsewhere since does not match.
public enum JournalStream {
    public static func isConnected(fd: Int32 = 2, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
