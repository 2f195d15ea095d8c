/// A point in time given on the command line:
/// - relative to now: `+10m`, `+1h30m` (any duration after a `+`);
/// - RFC 3339: `2026-11-22T18:00:00Z`, `2026-11-22T18:00:00.250+01:00` (a
///   space may stand for the `T`; digits past milliseconds are dropped);
/// - epoch seconds, as `date +%s` prints them: `1795370400`; a unit says it
///   explicitly: `1795370400s`, `1795370400250ms`.
/// Absolute times are from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z;
/// relative ones at most `+3650d`.
public struct TimeValue: Equatable, Sendable {
    public enum Form: Equatable, Sendable {
        case relative(DurationValue)
        case absolute(epochMilliseconds: Int64)
    }

    public let form: Form

    /// The range of absolute times, in epoch milliseconds.
    public static let range: ClosedRange<Int64> = 0...253_402_300_799_999

    public init(parsing text: String) throws {
        if text.hasPrefix("+") {
            do {
                form = .relative(try DurationValue(parsing: String(text.dropFirst())))
            } catch let error as DurationError {
                throw TimeValueError(text: text, problem: error.limit.map { "at most +\($0)" })
            }
        } else if let epoch = try Self.parseEpoch(text) {
            form = .absolute(epochMilliseconds: epoch)
        } else if let epoch = Self.parseRFC3339(Array(text.utf8)) {
            form = .absolute(epochMilliseconds: try Self.checked(epoch, text))
        } else {
            throw TimeValueError(text: text)
        }
    }

    /// A time given as a bare number somewhere else than on the command
    /// line (a JSON field): epoch seconds, by the same rule.
    public init(epochSeconds: Int64) throws {
        let (epoch, overflow) = epochSeconds.multipliedReportingOverflow(by: 1000)
        form = .absolute(epochMilliseconds: try Self.checked(overflow ? nil : epoch, String(epochSeconds)))
    }

    /// The time in epoch milliseconds, relative forms counted from `now`.
    /// Cannot overflow: durations are at most 10 years.
    public func epochMilliseconds(now: Int64) -> Int64 {
        switch form {
        case .relative(let duration): return now + duration.milliseconds
        case .absolute(let ms): return ms
        }
    }

    private static func checked(_ epochMilliseconds: Int64?, _ text: String) throws -> Int64 {
        guard let epochMilliseconds, range.contains(epochMilliseconds) else {
            throw TimeValueError(text: text, problem: "outside 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z")
        }
        return epochMilliseconds
    }

    /// Digits with an optional `s` or `ms`, in epoch milliseconds; nil when
    /// the text is not of that form.
    private static func parseEpoch(_ text: String) throws -> Int64? {
        // On the UTF-8 bytes: Character.isNumber costs more than the rest of a line of `dlq import`.
        var digits = Substring(text).utf8
        var multiplier: Int64 = 1000
        if digits.last == UInt8(ascii: "s") {
            digits = digits.dropLast()
            if digits.last == UInt8(ascii: "m") {
                digits = digits.dropLast()
                multiplier = 1
            }
        }
        guard !digits.isEmpty, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        // Digits past Int64 are out of range as much as any large number.
        let (epoch, overflow) = (Int64(Substring(digits)) ?? .max).multipliedReportingOverflow(by: multiplier)
        return try checked(overflow ? nil : epoch, text)
    }

    /// `YYYY-MM-DD(T|t| )hh:mm:ss[.fraction](Z|z|±hh:mm)` in epoch
    /// milliseconds, by hand: a date formatter costs more than an import
    /// line's JSON, and this one checks every field's range.
    public static func parseRFC3339(_ bytes: [UInt8]) -> Int64? {
        var index = 0
        func digits(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<count {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
                value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            return value
        }
        func skip(_ allowed: String) -> Bool {
            guard index < bytes.count, allowed.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), skip("-"), let month = digits(2), skip("-"), let day = digits(2), skip("Tt "),
              let hour = digits(2), skip(":"), let minute = digits(2), skip(":"), let second = digits(2) else { return nil }
        var milliseconds: Int64 = 0
        if skip(".") {
            let start = index
            while let digit = digits(1) {
                if index - start <= 3 { milliseconds = milliseconds * 10 + digit }
            }
            guard index > start else { return nil }
            for _ in min(index - start, 3)..<3 { milliseconds *= 10 }
        }
        var offsetMinutes: Int64 = 0
        if !skip("Zz") {
            guard index < bytes.count, let sign: Int64 = bytes[index] == UInt8(ascii: "+") ? 1 : bytes[index] == UInt8(ascii: "-") ? -1 : nil
            else { return nil }
            index += 1
            guard let offsetHours = digits(2), skip(":"), let offsetMinute = digits(2), offsetHours < 24, offsetMinute < 60 else { return nil }
            offsetMinutes = sign * (offsetHours * 60 + offsetMinute)
        }
        guard index == bytes.count, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 else { return nil }
        let seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return seconds * 1000 + milliseconds
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][Int(month) - 1]
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
    /// (H. Hinnant's days_from_civil), for years 0 to 9999.
    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

public struct TimeValueError: Error, Equatable, CustomStringConvertible {
    public let text: String
    /// What is wrong with a time that has the right form; nil for the wrong form.
    public let problem: String?

    public init(text: String, problem: String? = nil) {
        self.text = text
        self.problem = problem
    }

    public var description: String {
        if let problem { return "invalid time '\(text)': \(problem)" }
        return "invalid time '\(text)': use +DURATION (e.g. +10m), RFC 3339 (e.g. 2026-11-22T18:00:00Z) or epoch seconds (e.g. 1795370400, or 1795370400250ms)"
    }
}
