import Foundation

/// A point in time given on the command line:
/// - relative to now: `+10m`, `+1h30m` (any duration after a `+`);
/// - RFC 3339: `2026-11-22T18:00:00Z`, `2026-11-22T18:00:00.250+01:00`;
/// - epoch milliseconds: `1795370400000` (digits only).
public struct TimeValue: Equatable, Sendable {
    public enum Form: Equatable, Sendable {
        case relative(DurationValue)
        case absolute(epochMilliseconds: Int64)
    }

    public let form: Form

    public init(parsing text: String) throws {
        if text.hasPrefix("+") {
            do {
                form = .relative(try DurationValue(parsing: String(text.dropFirst())))
            } catch {
                throw TimeValueError(text: text)
            }
        } else if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let ms = Int64(text) else { throw TimeValueError(text: text) }
            form = .absolute(epochMilliseconds: ms)
        } else if let date = Self.parseRFC3339(text) {
            form = .absolute(epochMilliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()))
        } else {
            throw TimeValueError(text: text)
        }
    }

    /// The time in epoch milliseconds, relative forms counted from `now`.
    public func epochMilliseconds(now: Int64) -> Int64 {
        switch form {
        case .relative(let duration): return now + duration.milliseconds
        case .absolute(let ms): return ms
        }
    }

    private static func parseRFC3339(_ text: String) -> Date? {
        // ISO8601DateFormatter takes fractional seconds only when told to,
        // and then requires them; try both forms.
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let normalized = text.replacingOccurrences(of: " ", with: "T")
        return plain.date(from: normalized) ?? fractional.date(from: normalized)
    }
}

public struct TimeValueError: Error, Equatable, CustomStringConvertible {
    public let text: String

    public var description: String {
        "invalid time '\(text)': use +DURATION (e.g. +10m), RFC 3339 (e.g. 2026-11-22T18:00:00Z) or epoch milliseconds"
    }
}
