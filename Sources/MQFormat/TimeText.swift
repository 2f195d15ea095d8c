import Glibc

/// How times and durations are written.
public enum TimeText {
    /// RFC 3339 in UTC, e.g. `2026-11-22T18:00:00.250Z`.
    public static func rfc3339(_ epochMilliseconds: Int64, milliseconds: Bool = true) -> String {
        let seconds = epochMilliseconds.floorDivided(by: 1000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let date = String(
            printf: "%04d-%02d-%02dT%02d:%02d:%02d",
            parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
        guard milliseconds else { return date + "Z" }
        return date + String(printf: ".%03ldZ", Int(epochMilliseconds - seconds * 1000))
    }

    /// A short readable duration: `850µs`, `1.2ms`, `250ms`, `4.2s`, `3m20s`, `2h5m`, `3d4h`, `180d`.
    public static func humanDuration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        if seconds < 0 { return "-" + humanDuration(-seconds) }
        if seconds < 0.001 { return "\(Int((seconds * 1_000_000).rounded()))µs" }
        if seconds < 0.01 { return String(printf: "%.1fms", seconds * 1000) }
        if seconds < 1 { return String(printf: "%.0fms", seconds * 1000) }
        if seconds < 60 { return String(printf: "%.1fs", seconds) }
        let total = Int(seconds)
        func pair(_ major: Int, _ majorUnit: String, _ minor: Int, _ minorUnit: String) -> String {
            minor == 0 ? "\(major)\(majorUnit)" : "\(major)\(majorUnit)\(minor)\(minorUnit)"
        }
        if total < 3600 { return pair(total / 60, "m", total % 60, "s") }
        if total < 86400 { return pair(total / 3600, "h", total % 3600 / 60, "m") }
        return pair(total / 86400, "d", total % 86400 / 3600, "h")
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so times before 1970
    /// still split into whole seconds and a positive remainder.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
