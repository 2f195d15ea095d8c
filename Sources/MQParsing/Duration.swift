/// A length of time given on the command line: one or more number-unit
/// pairs, largest unit first, such as `250ms`, `90s`, `5m`, `1h30m`, `7d`.
/// A bare number is refused: `5` could mean seconds or minutes. Every
/// duration is from 0 to 3650d (10 years); an option may set a lower limit.
public struct DurationValue: Equatable, Comparable, Sendable, CustomStringConvertible {
    public let milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    public var seconds: Double { Double(milliseconds) / 1000 }

    public static func < (lhs: DurationValue, rhs: DurationValue) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    /// The longest duration accepted anywhere. Ten years keeps `now + duration`
    /// (and any sum of a few durations) far from Int64 overflow for any clock
    /// before the year 292 million, and fits a duration into Int32 seconds.
    public static let maximum = DurationValue(milliseconds: 3650 * 86_400_000)
    public static let oneDay = DurationValue(milliseconds: 86_400_000)

    static let units: [(name: String, milliseconds: Int64)] = [
        ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    public init(parsing text: String) throws {
        try self.init(parsing: text, upTo: .maximum)
    }

    /// Parses `text`, refusing durations above `limit` (at most `maximum`).
    public init(parsing text: String, upTo limit: DurationValue) throws {
        let limit = min(limit, .maximum)
        var total: Int64 = 0
        var lastUnitRank = -1
        var rest = Substring(text)
        guard !rest.isEmpty else { throw DurationError(text: text) }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { throw DurationError(text: text) }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unitText.count)
            guard let rank = Self.units.firstIndex(where: { $0.name == unitText.lowercased() }), rank > lastUnitRank else {
                throw DurationError(text: text)
            }
            lastUnitRank = rank
            // Digits past Int64, or a product or sum past it, are above any limit.
            guard let value = Int64(digits) else { throw DurationError(text: text, limit: limit) }
            let (product, overflow1) = value.multipliedReportingOverflow(by: Self.units[rank].milliseconds)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow1, !overflow2, sum <= limit.milliseconds else { throw DurationError(text: text, limit: limit) }
            total = sum
        }
        milliseconds = total
    }

    /// The shortest exact form, e.g. `1h30m`, `250ms`, `0s`.
    public var description: String {
        guard milliseconds > 0 else { return milliseconds == 0 ? "0s" : "-" + DurationValue(milliseconds: -milliseconds).description }
        var rest = milliseconds
        var text = ""
        for unit in Self.units where rest >= unit.milliseconds {
            text += "\(rest / unit.milliseconds)\(unit.name)"
            rest %= unit.milliseconds
        }
        return text
    }
}

public struct DurationError: Error, Equatable, CustomStringConvertible {
    public let text: String
    /// Set when the text reads as a duration but a longer one than allowed.
    public let limit: DurationValue?

    public init(text: String, limit: DurationValue? = nil) {
        self.text = text
        self.limit = limit
    }

    public var description: String {
        if let limit {
            return "invalid duration '\(text)': at most \(limit)\(limit == .maximum ? " (10 years)" : "")"
        }
        return "invalid duration '\(text)': use a number and a unit (ms, s, m, h, d), largest first, e.g. 250ms, 90s, 5m, 1h30m, 7d"
    }
}
