import Glibc

/// A short command run by /bin/sh for what it prints (a password_command):
/// stdin and stderr stay ours, so it can ask for a passphrase.
public enum ShellCommand {
    /// Its stdout and its exit code (128 + N when signal N ended it).
    public static func output(of command: String, environment: [String: String]) throws -> (output: [UInt8], exitCode: Int32) {
        let (readEnd, writeEnd) = try ChildProcess.makePipe()
        let pid: pid_t
        do {
            defer { close(writeEnd) }
            pid = try ChildProcess.spawn("/bin/sh", arguments: ["sh", "-c", command], environment: environment,
                                         redirections: [(child: 1, ours: writeEnd)], newGroup: false)
        } catch {
            close(readEnd)
            throw error
        }
        defer { close(readEnd) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(readEnd, &chunk, chunk.count)
            if count > 0 { output += chunk[..<count] } else if count == 0 || errno != EINTR { break }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (output, ChildProcess.exitCode(status) ?? 128 + (status & 0x7f))
    }
}
