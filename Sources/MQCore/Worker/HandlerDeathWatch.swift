import FoundationEssentials
import Glibc

/// Kills the handlers' process groups when the worker dies, SIGKILL
/// included. A worker that is killed runs no code of its own, so the work
/// is done by a small /bin/sh started once per worker, which reads the
/// groups to watch from a pipe only the worker can write to. However the
/// worker ends, the kernel closes that pipe; the shell reads EOF and kills
/// every group still listed. Other ways fall short: PR_SET_PDEATHSIG cannot
/// be set through posix_spawn, fires when the spawning thread (not process)
/// ends, and reaches only the handler, not what it started; a subreaper
/// helps only while the worker lives; a pipe handler that notices EOF on
/// its stdin is only as good as the handler.
///
/// Not covered: a process that leaves its group (setsid), and a worker
/// killed in the microseconds between a spawn and its `watch`.
final class HandlerDeathWatch {
    static let shared = HandlerDeathWatch()

    /// Our end of the shell's stdin, -1 when the shell could not start.
    private let feed: Int32

    /// "+PGID" adds a group and "-PGID" drops it; on EOF the listed groups
    /// are killed. Pure sh, no fork per line. Terminal signals are ignored
    /// so that a Ctrl-C meant for the worker does not end the watch first.
    static let script = """
        trap '' INT TERM HUP QUIT
        held=' '
        while IFS= read -r line; do
          case $line in
            +*) held="$held${line#+} " ;;
            -*) group=${line#-}; case $held in *" $group "*) held="${held%%" $group "*} ${held#*" $group "}" ;; esac ;;
          esac
        done
        for group in $held; do kill -s KILL -- "-$group" 2>/dev/null; done
        """

    private init() {
        guard let (readEnd, writeEnd) = try? ChildProcess.makePipe() else {
            feed = -1
            return
        }
        defer { close(readEnd) }
        do {
            // Its own group, so that signals sent to the worker's group
            // (a terminal's Ctrl-C) do not reach it.
            _ = try ChildProcess.spawn("/bin/sh", arguments: ["sh", "-c", Self.script], environment: ["PATH": "/usr/bin:/bin"],
                                       redirections: [(0, readEnd)], newGroup: true)
            // A stalled shell must not stall the worker: a full pipe drops
            // the line rather than blocking a slot.
            _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
            feed = writeEnd
        } catch {
            close(writeEnd)
            feed = -1
        }
    }

    func watch(group: pid_t) { send("+\(group)\n") }

    func forget(group: pid_t) { send("-\(group)\n") }

    /// One write of a few bytes: atomic on a pipe, so slots need no lock.
    private func send(_ line: String) {
        guard feed >= 0 else { return }
        var bytes = Array(line.utf8)
        _ = write(feed, &bytes, bytes.count)
    }
}
