import Foundation

/// A handler process: spawned in a process group of its own (so a timeout
/// kills it and everything it started), with default signal handling, and
/// pipes for the streams asked for. Waited for with waitpid, never by a
/// Foundation Process, so the worker controls every step.
final class ChildProcess {
    let pid: pid_t
    /// Our ends of the pipes, -1 when that stream is inherited.
    private(set) var stdin: Int32
    let stdout: Int32
    let stderr: Int32
    private(set) var status: Int32?

    /// Spawns `arguments[0]` (looked up on PATH) with `environment` added
    /// to ours.
    init(arguments: [String], environment: [String: String], pipeStdin: Bool, pipeStdout: Bool, pipeStderr: Bool) throws {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        var ours: [Int32] = [-1, -1, -1]
        var theirs: [Int32] = []
        for (index, wanted) in [pipeStdin, pipeStdout, pipeStderr].enumerated() where wanted {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw WorkerError.spawn(arguments[0], String(cString: strerror(errno))) }
            let (child, parent) = index == 0 ? (fds[0], fds[1]) : (fds[1], fds[0])
            _ = fcntl(parent, F_SETFD, FD_CLOEXEC)
            posix_spawn_file_actions_adddup2(&fileActions, child, Int32(index))
            posix_spawn_file_actions_addclose(&fileActions, child)
            ours[index] = parent
            theirs.append(child)
        }
        defer { theirs.forEach { close($0) } }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new process group (so the group can be killed), an empty
        // signal mask (the worker's threads block SIGINT/SIGTERM) and
        // default handlers for the signals the worker handles or ignores.
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, arguments[0], &fileActions, &attributes, argv, envp)
        guard rc == 0 else {
            ours.filter { $0 >= 0 }.forEach { close($0) }
            throw WorkerError.spawn(arguments[0], String(cString: strerror(rc)))
        }
        self.pid = pid
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

    /// The wait status once the process has exited, without blocking.
    func poll() -> Int32? {
        if status == nil {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        }
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
}

public enum WorkerError: Error, CustomStringConvertible {
    case spawn(String, String)

    public var description: String {
        switch self {
        case .spawn(let command, let reason): return "cannot start handler '\(command)': \(reason)"
        }
    }
}
