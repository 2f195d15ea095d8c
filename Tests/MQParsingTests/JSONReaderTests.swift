import MQParsing
import XCTest

final class JSONReaderTests: XCTestCase {
    private func read(_ text: String) throws -> [JSONMember] {
        try JSONReader.object(Array(text.utf8))
    }

    private func value(_ json: String) throws -> JSONValue {
        try XCTUnwrap(try read("{\"v\": \(json)}").first).value
    }

    func testValuesKeepTheirJSONType() throws {
        XCTAssertEqual(try value("true"), .bool(true))
        XCTAssertEqual(try value("false"), .bool(false))
        XCTAssertEqual(try value("1"), .integer(1), "1 is not true, as it is through JSONSerialization on Linux")
        XCTAssertEqual(try value("0"), .integer(0))
        XCTAssertEqual(try value("-0"), .integer(0))
        XCTAssertEqual(try value("9223372036854775807"), .integer(.max))
        XCTAssertEqual(try value("-9223372036854775808"), .integer(.min))
        XCTAssertEqual(try value("9223372036854775808"), .number(9_223_372_036_854_775_808))
        XCTAssertEqual(try value("1.0"), .number(1), "a fraction, even .0, is not an integer")
        XCTAssertEqual(try value("1e3"), .number(1000))
        XCTAssertEqual(try value("1.5"), .number(1.5))
        XCTAssertEqual(try value("1e30"), .number(1e30))
        XCTAssertEqual(try value("null"), .null)
        XCTAssertEqual(try value("[1, \"a\", []]"), .array([.integer(1), .string("a"), .array([])]))
        XCTAssertEqual(try value("{\"a\": {}}"), .object([try JSONMemberTests.member("a", "{}")]))
    }

    func testStringsAndEscapes() throws {
        XCTAssertEqual(try value(#""plain""#), .string("plain"))
        XCTAssertEqual(try value(#""a\"b\\c\/d\b\f\n\r\t""#), .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(try value(#""\u00e9\u20AC\ud83d\ude00""#), .string("é€😀"))
        XCTAssertEqual(try value("\"é😀\""), .string("é😀"))
        XCTAssertEqual(try value(#""""#), .string(""))
    }

    func testMembersKeepTheirOrder() throws {
        XCTAssertEqual(try read(" {\"b\": 1, \"a\": 2} \r").map(\.name), ["b", "a"])
        XCTAssertEqual(try read("{}"), [])
    }

    func testMalformedInputIsRefusedWithWhere() {
        let cases: [(String, String)] = [
            ("[]", "not a JSON object"), ("", "not a JSON object"), ("not json", "not a JSON object"),
            ("{\"a\": 1, \"a\": 2}", "field 'a' is given twice"),
            ("{\"a\": 1} x", "invalid JSON at byte 10: more after the object"),
            ("{\"a\": 01}", "a number with a leading zero"), ("{\"a\": 1.}", "expected digits after '.'"),
            ("{\"a\": -}", "expected digits"), ("{\"a\": 1e}", "expected digits in the exponent"),
            ("{\"a\": tru}", "expected a value"), ("{\"a\": NaN}", "expected a value"),
            ("{\"a\": \"x}", "a string is not closed"), ("{\"a\": \"\t\"}", "a control character in a string must be escaped"),
            ("{\"a\": \"\\x\"}", "unknown escape"), ("{\"a\": \"\\ud800\"}", "a lone surrogate"), ("{\"a\": \"\\udc00\"}", "a lone surrogate"),
            ("{\"a\": \"\\u12\"}", "\\u needs four hex digits"), ("{a: 1}", "expected a name in quotes"),
            ("{\"a\" 1}", "expected ':'"), ("{\"a\": 1,}", "expected a name in quotes"), ("{\"a\": [1,]}", "expected a value"),
            ("{\"a\": 1", "expected ',' or '}'"), ("{\"a\":", "the line ends where a value belongs"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try read(text), text) { error in
                XCTAssertTrue(error is JSONInputError, "\(type(of: error))")
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
            }
        }
    }

    func testInvalidUTF8IsRefused() {
        XCTAssertThrowsError(try JSONReader.object(Array("{\"a\": \"".utf8) + [0xFF, 0xFE] + Array("\"}".utf8))) { error in
            XCTAssertEqual("\(error)", "invalid JSON: a string is not UTF-8")
        }
    }

    func testDeepNestingIsRefusedNotACrash() {
        let deep = "{\"a\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        XCTAssertThrowsError(try read(deep)) { error in
            XCTAssertTrue("\(error)".contains("nested deeper than 64 levels"), "\(error)")
        }
        let allowed = "{\"a\": " + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}"
        XCTAssertNoThrow(try read(allowed))
    }
}

final class JSONMemberTests: XCTestCase {
    static func member(_ name: String, _ json: String) throws -> JSONMember {
        try XCTUnwrap(try JSONReader.object(Array("{\"\(name)\": \(json)}".utf8)).first)
    }

    func testIntegersAreCheckedForTypeAndRange() throws {
        XCTAssertEqual(try Self.member("max_attempts", "5").integer(in: 1...10), 5)
        for json in ["0", "-5", "11", "1.5", "1e0", "true", "\"5\"", "null", "9223372036854775808"] {
            XCTAssertThrowsError(try Self.member("max_attempts", json).integer(in: 1...10), json) { error in
                XCTAssertEqual("\(error)", "\"max_attempts\" must be an integer from 1 to 10")
            }
        }
    }

    func testStringsAndObjectsOfStrings() throws {
        XCTAssertEqual(try Self.member("id", "\"x\"").string(), "x")
        for json in ["1002", "true", "null", "[]", "{}"] {
            XCTAssertThrowsError(try Self.member("id", json).string(), json) { error in
                XCTAssertEqual("\(error)", "\"id\" must be a string")
            }
        }
        XCTAssertEqual(try Self.member("headers", "{\"a\": \"b\"}").stringObject(), ["a": "b"])
        for json in ["{\"a\": 1}", "{\"a\": null}", "[\"a\"]", "\"a=b\""] {
            XCTAssertThrowsError(try Self.member("headers", json).stringObject(), json) { error in
                XCTAssertEqual("\(error)", "\"headers\" must be an object of strings")
            }
        }
    }

    func testTimesAreStringsOrEpochSeconds() throws {
        XCTAssertEqual(try Self.member("at", "1795370400").time().epochMilliseconds(now: 0), 1_795_370_400_000)
        XCTAssertEqual(try Self.member("at", "\"2026-11-22T18:00:00Z\"").time().epochMilliseconds(now: 0), 1_795_370_400_000)
        XCTAssertEqual(try Self.member("at", "\"+1s\"").time().epochMilliseconds(now: 5), 1005)
        for json in ["1795370400.5", "true", "{}"] {
            XCTAssertThrowsError(try Self.member("at", json).time(), json) { error in
                XCTAssertTrue("\(error)".hasPrefix("\"at\" must be a time"), "\(error)")
            }
        }
        XCTAssertThrowsError(try Self.member("at", "1795370400000").time(), "milliseconds read as seconds are past 9999") { error in
            XCTAssertTrue(error is TimeValueError, "\(error)")
        }
    }
}
