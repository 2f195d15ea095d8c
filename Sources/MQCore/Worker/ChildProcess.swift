import FoundationEssentials
import Glibc

/// A handler process: spawned in a process group of its own (so a timeout
/// kills it and everything it started), with default signal handling, and
/// pipes for the streams asked for. It holds no other descriptor of the
/// worker's: not a sibling handler's pipe, not a Redis connection. Waited
/// for with waitid/waitpid, never by a Foundation Process, so the worker
/// controls every step. When it exits, what it left running in its group
/// is killed; if the worker dies first, `HandlerDeathWatch` kills the group.
final class ChildProcess {
    let pid: pid_t
    /// Our ends of the pipes, -1 when that stream is inherited.
    private(set) var stdin: Int32
    let stdout: Int32
    let stderr: Int32
    private(set) var status: Int32?

    /// Spawns `command` with exactly `environment`.
    init(command: HandlerCommand, environment: [String: String], pipeStdin: Bool, pipeStdout: Bool, pipeStderr: Bool) throws {
        var ours: [Int32] = [-1, -1, -1]
        var theirs: [(child: Int32, ours: Int32)] = []
        defer { theirs.forEach { close($0.ours) } }
        for (index, wanted) in [pipeStdin, pipeStdout, pipeStderr].enumerated() where wanted {
            let (readEnd, writeEnd): (Int32, Int32)
            do {
                (readEnd, writeEnd) = try Self.makePipe()
            } catch {
                ours.filter { $0 >= 0 }.forEach { close($0) }
                throw HandlerStartError(command: command.arguments[0], reason: "\(error)")
            }
            let (child, parent) = index == 0 ? (readEnd, writeEnd) : (writeEnd, readEnd)
            ours[index] = parent
            theirs.append((Int32(index), child))
        }
        // Started before the handler, so that it is watched from its first instant.
        let watch = HandlerDeathWatch.shared
        do {
            pid = try Self.spawn(command.executable, arguments: command.arguments, environment: environment,
                                 redirections: theirs, newGroup: true)
        } catch let error as POSIXError {
            ours.filter { $0 >= 0 }.forEach { close($0) }
            throw HandlerStartError(command: command.arguments[0], spawnError: error.code.rawValue, environment: environment)
        }
        watch.watch(group: pid)
        (stdin, stdout, stderr) = (ours[0], ours[1], ours[2])
        for fd in ours where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
    }

    deinit {
        closeStdin()
        if stdout >= 0 { close(stdout) }
        if stderr >= 0 { close(stderr) }
        if status == nil {
            killGroup(SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }

    func closeStdin() {
        if stdin >= 0 {
            close(stdin)
            stdin = -1
        }
    }

    /// Signals the whole process group.
    func killGroup(_ signal: Int32) {
        if status == nil { kill(-pid, signal) }
    }

    /// The wait status once the process has exited, without blocking. The
    /// moment it has, the rest of its group is killed.
    func poll() -> Int32? {
        guard status == nil else { return status }
        var info = siginfo_t()
        // WNOWAIT leaves the exited handler a zombie, so its pid, which
        // names the group, cannot be reused while the group is killed.
        if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 {
            guard info.si_signo == SIGCHLD else { return nil }
            kill(-pid, SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, 0)
            status = raw
        } else {
            // Not our child any more (ECHILD): nothing is left to wait for.
            status = SIGKILL
        }
        HandlerDeathWatch.shared.forget(group: pid)
        return status
    }

    /// Waits up to `timeout` seconds for the exit.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while poll() == nil && Date() < deadline { usleep(2_000) }
        return status
    }

    /// A description of a wait status: "exit 3", "killed by signal 9".
    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        return signal == 0 ? "exit \((status >> 8) & 0xff)" : "killed by signal \(signal)"
    }

    /// The exit code, nil when a signal ended the process.
    static func exitCode(_ status: Int32) -> Int32? {
        status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }

    // MARK: - Spawning

    /// A pipe whose two ends are close-on-exec from the start: with slots
    /// spawning at once, a descriptor that is not would be inherited by a
    /// sibling's handler, and an inherited stdin write end keeps `cat`
    /// waiting for an EOF that never comes.
    static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard GNULibc.pipe2(&fds, O_CLOEXEC) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return (fds[0], fds[1])
    }

    /// posix_spawn with `redirections` (child descriptor, ours) and every
    /// other descriptor closed, whoever opened it and however (hiredis does
    /// not mark its sockets close-on-exec); an empty signal mask (the
    /// worker's threads block SIGINT/SIGTERM) and default handlers for the
    /// signals the worker handles or ignores; in a new process group when
    /// `newGroup`, so the group can be killed.
    static func spawn(_ executable: String, arguments: [String], environment: [String: String],
                      redirections: [(child: Int32, ours: Int32)], newGroup: Bool) throws -> pid_t {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        for redirection in redirections {
            posix_spawn_file_actions_adddup2(&fileActions, redirection.ours, redirection.child)
        }
        GNULibc.closeFrom(3, in: &fileActions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &fileActions, &attributes, argv, envp)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        return pid
    }
}

/// The handler's program, found as execvp would find it. Built for every
/// spawn (a redeployed handler is picked up), and once before the worker
/// takes any message, so that a command that cannot run is a usage error
/// instead of every message failing through its attempts.
public struct HandlerCommand: Sendable {
    /// The file to run.
    public let executable: String
    /// The argument vector, argv[0] as the operator wrote it.
    public let arguments: [String]

    /// Used when PATH is not set, as by glibc's execvp.
    static let defaultSearchPath = "/bin:/usr/bin"

    /// Looks `arguments[0]` up: as a path when it holds a slash, else in
    /// each directory of `path`. Throws why it cannot be run: missing, a
    /// directory, not executable.
    public init(resolving arguments: [String], path: String? = ProcessInfo.processInfo.environment["PATH"]) throws {
        let name = arguments.first ?? ""
        func refuse(_ reason: String) -> HandlerStartError { HandlerStartError(command: name, reason: reason) }
        guard !name.isEmpty else { throw refuse("empty command") }
        self.arguments = arguments
        if name.contains("/") {
            switch Self.check(name) {
            case .runnable: executable = name
            case .missing: throw refuse("no such file")
            case .directory: throw refuse("is a directory")
            case .notExecutable: throw refuse("not executable (chmod +x it)")
            }
            return
        }
        let searchPath = path ?? Self.defaultSearchPath
        var sawNotExecutable = false
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            // An empty entry means the current directory, as for execvp.
            let candidate = directory.isEmpty ? name : "\(directory)/\(name)"
            switch Self.check(candidate) {
            case .runnable:
                executable = candidate
                return
            case .notExecutable: sawNotExecutable = true
            case .missing, .directory: continue
            }
        }
        throw refuse(sawNotExecutable ? "found on PATH but not executable (chmod +x it)" : "not found on PATH (\(searchPath))")
    }

    private enum Check { case runnable, missing, directory, notExecutable }

    private static func check(_ path: String) -> Check {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        // Before access(): for root, X_OK holds for any directory.
        if info.st_mode & S_IFMT == S_IFDIR { return .directory }
        return access(path, X_OK) == 0 ? .runnable : .notExecutable
    }
}

/// Why a handler could not be started.
public struct HandlerStartError: Error, CustomStringConvertible {
    public let command: String
    public let reason: String
    /// Starting it again for the same message cannot work (its headers are
    /// too large for the environment), so the message should not be retried.
    public let permanent: Bool

    /// The longest one environment entry ("NAME=value" and its NUL) can be
    /// on Linux: MAX_ARG_STRLEN, 32 pages. Over it, exec fails with E2BIG
    /// whatever the system's ARG_MAX.
    public static let environmentEntryLimit = 131_072

    init(command: String, reason: String, permanent: Bool = false) {
        self.command = command
        self.reason = reason
        self.permanent = permanent
    }

    /// From posix_spawn's error; E2BIG names the variable over the limit.
    init(command: String, spawnError code: Int32, environment: [String: String]) {
        guard code == E2BIG else {
            self.init(command: command, reason: String(cString: strerror(code)))
            return
        }
        let largest = environment.max { $0.key.utf8.count + $0.value.utf8.count < $1.key.utf8.count + $1.value.utf8.count }
        let size = largest.map { $0.key.utf8.count + $0.value.utf8.count + 2 } ?? 0
        let reason = size > Self.environmentEntryLimit
            ? "\(largest!.key) is \(size) bytes, over the \(Self.environmentEntryLimit) one environment variable may hold"
            : "its arguments and environment are over the system's limit"
        self.init(command: command, reason: reason, permanent: true)
    }

    public var description: String { "cannot start handler '\(command)': \(reason)" }
}

/// glibc functions that Swift's Glibc module leaves out (declared only
/// with _GNU_SOURCE), looked up at run time rather than through a C shim.
enum GNULibc {
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    private static let handle = dlopen(nil, RTLD_NOW)
    /// glibc 2.9.
    private static let pipe2Function = dlsym(handle, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    /// glibc 2.34.
    private static let addCloseFromFunction = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }

    static func pipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32 {
        if let pipe2Function { return pipe2Function(fds, flags) }
        guard pipe(fds) == 0 else { return -1 }
        // Not atomic, but closeFrom below still keeps our handlers clean.
        for fd in [fds[0], fds[1]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    /// A file action closing every descriptor from `first` on in the child.
    static func closeFrom(_ first: Int32, in actions: inout posix_spawn_file_actions_t) {
        if let addCloseFromFunction, addCloseFromFunction(&actions, first) == 0 { return }
        // Older glibc: close what is open now (closing one that is gone by
        // the spawn is no error for posix_spawn).
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd >= first {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }
}
