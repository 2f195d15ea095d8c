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
        XCTAssertEqual(try TimeValue(parsing: "1795370400123").epochMilliseconds(now: 0), 1_795_370_400_123)
        XCTAssertEqual(try TimeValue(parsing: "2026-11-22T18:00:00Z").epochMilliseconds(now: 0), 1_795_370_400_000)
        XCTAssertEqual(try TimeValue(parsing: "2026-11-22T18:00:00.250Z").epochMilliseconds(now: 0), 1_795_370_400_250)
        XCTAssertEqual(try TimeValue(parsing: "2026-11-22T19:00:00+01:00").epochMilliseconds(now: 0), 1_795_370_400_000)
        XCTAssertEqual(try TimeValue(parsing: "2026-11-22 18:00:00Z").epochMilliseconds(now: 0), 1_795_370_400_000)
    }

    func testInvalidTimes() {
        for text in ["", "tomorrow", "+", "+5", "2026-13-01T00:00:00Z", "2026-11-22", "12:00", "-10m"] {
            XCTAssertThrowsError(try TimeValue(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains("invalid time"), "\(error)")
            }
        }
    }
}
