import FoundationEssentials
import Glibc

/// A threshold in the Nagios plugin range format
/// (https://nagios-plugins.org/doc/guidelines.html#THRESHOLDFORMAT):
/// `10` alerts above 10 (or below 0), `10:` below 10, `~:10` above 10,
/// `10:20` outside 10 to 20, and `@10:20` inside it, ends included.
public struct ThresholdRange: Equatable, Sendable, CustomStringConvertible {
    /// `-infinity` for `~`.
    public let start: Double
    /// `+infinity` when left out after the colon.
    public let end: Double
    /// `@`: alert inside the range instead of outside it.
    public let inside: Bool

    public init(start: Double, end: Double, inside: Bool = false) {
        self.start = start
        self.end = end
        self.inside = inside
    }

    /// A plain upper limit: alerts above `limit`.
    public init(above limit: Double) {
        self.init(start: 0, end: limit)
    }

    /// Reads the range format; with `percent`, each number may end in `%`
    /// (`95%`, `80%:`), which the value is measured in anyway.
    public init(parsing text: String, percent: Bool = false) throws {
        var rest = Substring(text.trimmingBlanks())
        let inside = rest.hasPrefix("@")
        if inside { rest = rest.dropFirst() }
        func number(_ part: Substring, empty: Double) throws -> Double {
            var part = part
            if part.hasSuffix("%") {
                guard percent else { throw ThresholdError(text: text, reason: "it is a count, not a percentage") }
                part = part.dropLast()
            }
            if part.isEmpty { return empty }
            guard let value = Double(part), value.isFinite else {
                throw ThresholdError(text: text, reason: "'\(part)' is not a number")
            }
            return value
        }
        let start: Double, end: Double
        if let colon = rest.firstIndex(of: ":") {
            let head = rest[..<colon], tail = rest[rest.index(after: colon)...]
            start = head == "~" ? -.infinity : try number(head, empty: 0)
            end = try number(tail, empty: .infinity)
            guard !(head.isEmpty && tail.isEmpty) else { throw ThresholdError(text: text, reason: "give a start or an end") }
        } else {
            guard !rest.isEmpty else { throw ThresholdError(text: text, reason: "it is empty") }
            start = 0
            end = try number(rest, empty: .infinity)
        }
        guard start <= end else { throw ThresholdError(text: text, reason: "the start is above the end") }
        self.init(start: start, end: end, inside: inside)
    }

    /// Whether `value` is outside the range (inside it, for `@`).
    public func alerts(_ value: Double) -> Bool {
        inside ? (value >= start && value <= end) : (value < start || value > end)
    }

    /// How `value` trips the range, as the status line says it:
    /// `> 10`, `< 10`, `in @10:20`; nil when it does not.
    public func violation(_ value: Double) -> String? {
        guard alerts(value) else { return nil }
        if inside { return "in \(self)" }
        return value > end ? "> \(Self.number(end))" : "< \(Self.number(start))"
    }

    /// The limit of a range that only alerts above a number (`10`, `~:10`).
    public var upperLimit: Double? {
        !inside && start <= 0 && end.isFinite ? end : nil
    }

    /// The limit of a range that only alerts below a number (`10:`).
    public var lowerLimit: Double? {
        !inside && end == .infinity && start.isFinite && start > 0 ? start : nil
    }

    /// The range in its shortest form, as perfdata carries it.
    public var description: String {
        let prefix = inside ? "@" : ""
        if start == 0 && end.isFinite { return prefix + Self.number(end) }
        let head = start == -.infinity ? "~" : Self.number(start)
        return prefix + head + ":" + (end == .infinity ? "" : Self.number(end))
    }

    /// Whole numbers without a fraction, others with one decimal.
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(printf: "%.1f", value)
    }

    /// A warning range that would trip after the critical one is a
    /// mistake: the reason, or nil when the pair is in order or cannot be
    /// compared (two-sided and `@` ranges).
    public static func misordered(warning: ThresholdRange, critical: ThresholdRange) -> String? {
        if let warn = warning.upperLimit, let crit = critical.upperLimit, warn > crit {
            return "the warning limit \(number(warn)) is above the critical one \(number(crit))"
        }
        if let warn = warning.lowerLimit, let crit = critical.lowerLimit, warn < crit {
            return "the warning limit \(number(warn)): is below the critical one \(number(crit)):"
        }
        return nil
    }
}

/// A threshold that is not in the range format.
public struct ThresholdError: Error, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String

    public var description: String {
        "'\(text)' is not a threshold (\(reason)): give N, N:, ~:N, N:M or @N:M"
    }
}
