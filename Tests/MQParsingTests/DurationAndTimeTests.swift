import Foundation
import MQParsing
import XCTest

final class DurationAndTimeTests: XCTestCase {
    func testDurations() throws {
        let cases: [(String, Int64)] = [
            ("250ms", 250), ("90s", 90_000), ("5m", 300_000), ("1h30m", 5_400_000), ("7d", 604_800_000),
            ("1d2h3m4s5ms", 93_784_005), ("0s", 0), ("2H", 7_200_000),
        ]
        for (text, ms) in cases {
            XCTAssertEqual(try DurationValue(parsing: text).milliseconds, ms, text)
        }
    }

    func testInvalidDurations() {
        for text in ["", "5", "m", "5x", "1m1h", "5m5m", "-5s", "1.5s", "5 m", "99999999999999999999d", "9223372036854775807d"] {
            XCTAssertThrowsError(try DurationValue(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains("invalid duration '\(text)'"), "\(error)")
            }
        }
    }

    func testDurationDescriptionRoundTrips() throws {
        for text in ["1h30m", "250ms", "7d", "1d2h3m4s5ms", "0s"] {
            XCTAssertEqual(try DurationValue(parsing: text).description, text)
        }
    }

    func testTimes() throws {
        let now: Int64 = 1_795_370_400_000
        XCTAssertEqual(try TimeValue(parsing: "+10m").epochMilliseconds(now: now), now + 600_000)
        XCTAssertEqual(try TimeValue(parsing: "2026-11-22T18:00:00Z").epochMilliseconds(now: 0), 1_795_370_400_000)
        XCTAssertEqual(try TimeValue(parsing: "2026-11-22T18:00:00.250Z").epochMilliseconds(now: 0), 1_795_370_400_250)
        XCTAssertEqual(try TimeValue(parsing: "2026-11-22T19:00:00+01:00").epochMilliseconds(now: 0), 1_795_370_400_000)
        XCTAssertEqual(try TimeValue(parsing: "2026-11-22 18:00:00Z").epochMilliseconds(now: 0), 1_795_370_400_000)
    }

    func testInvalidTimes() {
        for text in ["", "tomorrow", "+", "+5", "2026-13-01T00:00:00Z", "2026-11-22", "12:00", "-10m",
                     "2026-02-29T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T18:60:00Z", "2026-11-22T18:00:00",
                     "2026-11-22T18:00:00.Z", "2026-11-22T18:00:00+0100", "2026-11-22T18:00:00Zjunk", "1795370400sec", "1.5s"] {
            XCTAssertThrowsError(try TimeValue(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains("invalid time"), "\(error)")
            }
        }
    }

    func testDurationsAreAtMostTenYearsOrTheGivenLimit() throws {
        XCTAssertEqual(try DurationValue(parsing: "3650d"), DurationValue.maximum)
        for text in ["3650d1ms", "106751991166d", "25000000h"] {
            XCTAssertThrowsError(try DurationValue(parsing: text), text) { error in
                XCTAssertEqual("\(error)", "invalid duration '\(text)': at most 3650d (10 years)")
            }
        }
        XCTAssertEqual(try DurationValue(parsing: "1d", upTo: .oneDay), .oneDay)
        XCTAssertThrowsError(try DurationValue(parsing: "25d", upTo: .oneDay)) { error in
            XCTAssertEqual("\(error)", "invalid duration '25d': at most 1d")
        }
    }

    func testABareNumberIsEpochSecondsAndUnitsSayItExplicitly() throws {
        // `date +%s` prints seconds; read as milliseconds this was 1970-01-20.
        XCTAssertEqual(try TimeValue(parsing: "1700000000").epochMilliseconds(now: 0), 1_700_000_000_000)
        XCTAssertEqual(try TimeValue(parsing: "1700000000s").epochMilliseconds(now: 0), 1_700_000_000_000)
        XCTAssertEqual(try TimeValue(parsing: "1700000000250ms").epochMilliseconds(now: 0), 1_700_000_000_250)
        XCTAssertEqual(try TimeValue(epochSeconds: 1_700_000_000).epochMilliseconds(now: 0), 1_700_000_000_000)
    }

    func testTimesAreBetween1970AndTheYear9999() throws {
        XCTAssertEqual(try TimeValue(parsing: "0").epochMilliseconds(now: 0), 0)
        XCTAssertEqual(try TimeValue(parsing: "9999-12-31T23:59:59.999Z").epochMilliseconds(now: 0), TimeValue.range.upperBound)
        XCTAssertEqual(try TimeValue(parsing: "253402300799").epochMilliseconds(now: 0), 253_402_300_799_000)
        for text in ["9223372036854775807", "9223372036854775807ms", "99999999999999999999s", "253402300800",
                     "1700000000000", "1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00", "+3651d", "+106751991166d"] {
            XCTAssertThrowsError(try TimeValue(parsing: text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid time '\(text)': "), "\(error)")
                XCTAssertFalse("\(error)".contains("use +DURATION"), "a range error, not a form error: \(error)")
            }
        }
        XCTAssertThrowsError(try TimeValue(epochSeconds: .max))
        XCTAssertThrowsError(try TimeValue(epochSeconds: -1))
    }

    func testRFC3339ByHandAgreesWithTheCalendar() throws {
        let cases: [(String, Int64)] = [
            ("1970-01-01T00:00:00Z", 0), ("2000-02-29T12:00:00Z", 951_825_600_000), ("2024-12-31T23:59:59.999Z", 1_735_689_599_999),
            ("2026-11-22t18:00:00.1z", 1_795_370_400_100), ("2026-11-22T18:00:00.123456789Z", 1_795_370_400_123),
            ("2026-11-22T12:30:00-05:30", 1_795_370_400_000),
        ]
        for (text, ms) in cases {
            XCTAssertEqual(try TimeValue(parsing: text).epochMilliseconds(now: 0), ms, text)
        }
    }

    func testRFC3339ByHandReadsWhatFoundationWrites() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let ms = Int64.random(in: TimeValue.range, using: &generator)
            let text = formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
            // Foundation rounds to milliseconds through a Double; allow that one.
            XCTAssertEqual(Double(try TimeValue(parsing: text).epochMilliseconds(now: 0)), Double(ms), accuracy: 1, text)
        }
    }
}
