import FoundationEssentials
import Glibc

/// Replaces a file whole, so a reader (node_exporter's textfile collector)
/// sees the old content or the new, never a part or an empty file.
enum AtomicFile {
    /// Writes `bytes` to a temporary file in the same folder (hidden, and
    /// not ending in `.prom`, so the collector never reads it), flushes it
    /// to disk, gives it `mode`, else the mode a new file gets (0666 less
    /// the umask, so a collector running as another user can read it), and
    /// renames it over `path`. On any failure the temporary file is removed
    /// and the old file stays as it was.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t? = nil) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var template = Array("\(folder)/.\(url.lastPathComponent).tmp.XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw UsageError("cannot write '\(path)': \(String(cString: strerror(errno)))") }
        let temporary = String(cString: template)
        var done = false
        defer {
            if !done { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw UsageError("cannot write '\(path)': \(String(cString: strerror(errno)))") }
                offset += written
            }
            let mask = umask(0)
            umask(mask)
            guard fchmod(fd, mode ?? (0o666 & ~mask)) == 0, fsync(fd) == 0 else {
                throw UsageError("cannot write '\(path)': \(String(cString: strerror(errno)))")
            }
        }
        guard rename(temporary, path) == 0 else {
            throw UsageError("cannot replace '\(path)': \(String(cString: strerror(errno)))")
        }
        done = true
    }
}
