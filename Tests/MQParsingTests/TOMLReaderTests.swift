import MQParsing
import XCTest

final class TOMLReaderTests: XCTestCase {
    private func parse(_ text: String) throws -> TOMLTable {
        try TOMLReader.parse(text)
    }

    /// The value of `v = <toml>`.
    private func value(_ toml: String) throws -> TOMLValue {
        try XCTUnwrap(try parse("v = \(toml)")["v"], toml)
    }

    private func string(_ toml: String) throws -> String? { try value(toml).string }

    /// The table at a dotted path of plain names.
    private func table(_ root: TOMLTable, _ path: String) throws -> TOMLTable {
        var table = root
        for name in path.split(separator: ".") {
            table = try XCTUnwrap(table[String(name)]?.table, "no table \(path)")
        }
        return table
    }

    /// The error `text` is refused with, nil when it reads.
    private func error(_ text: String) -> TOMLError? {
        if case .failure(let error) = Result(catching: { () throws(TOMLError) in try TOMLReader.parse(text) }) { return error }
        return nil
    }

    // MARK: Strings

    func testBasicStringsResolveEveryEscape() throws {
        XCTAssertEqual(try string(#""plain""#), "plain")
        XCTAssertEqual(try string(#""""#), "")
        XCTAssertEqual(try string(#""\b\t\n\f\r\"\\""#), "\u{08}\t\n\u{0C}\r\"\\")
        XCTAssertEqual(try string(#""\u00E9 \u00e9 \U0001F600 \u0000""#), "é é 😀 \u{0}")
        XCTAssertEqual(try string("\"tab\tinside\""), "tab\tinside", "a raw tab is allowed")
        XCTAssertEqual(try string(#""né 日本""#), "né 日本")
        XCTAssertEqual(try string("\"# not a comment\""), "# not a comment")
    }

    func testLiteralStringsTakeBackslashesAsWritten() throws {
        XCTAssertEqual(try string(#"'C:\Users\nodejs\templates'"#), #"C:\Users\nodejs\templates"#)
        XCTAssertEqual(try string(#"'<\i\c*\s*>'"#), #"<\i\c*\s*>"#)
        XCTAssertEqual(try string("''"), "")
        XCTAssertEqual(try string(#"'Tom "Dubs" Preston'"#), #"Tom "Dubs" Preston"#)
    }

    func testMultilineBasicStrings() throws {
        XCTAssertEqual(try string("\"\"\"\nRoses are red\nViolets are blue\"\"\""), "Roses are red\nViolets are blue",
                       "the newline right after the opening quotes is trimmed")
        XCTAssertEqual(try string("\"\"\"\n\nkept\"\"\""), "\nkept", "only the first newline is trimmed")
        XCTAssertEqual(try string("\"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\""),
                       "The quick brown fox jumps over the lazy dog.")
        XCTAssertEqual(try string("\"\"\"\\\n       The quick brown \\  \n       fox.\\\n       \"\"\""), "The quick brown fox.",
                       "a line-ending backslash may have spaces after it and trims up to the closing quotes")
        XCTAssertEqual(try string("\"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\""), "Here are two quotation marks: \"\". Simple enough.")
        XCTAssertEqual(try string("\"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\""), "\"This,\" she said, \"is just a pointless statement.\"",
                       "one quote inside each delimiter")
        XCTAssertEqual(try string("\"\"\"a\"\"\"\""), "a\"")
        XCTAssertEqual(try string("\"\"\"a\"\"\"\"\""), "a\"\"", "up to two quotes before the closing delimiter")
        XCTAssertEqual(try string("\"\"\"\\\"\\\"\\\"\"\"\""), "\"\"\"", "escaped quotes")
        XCTAssertEqual(try string("\"\"\"\r\nwindows\r\nlines\"\"\""), "windows\nlines", "CRLF is read as LF")
        XCTAssertEqual(try string("\"\"\"tab\there \\u0041\"\"\""), "tab\there A")
    }

    func testMultilineLiteralStrings() throws {
        XCTAssertEqual(try string("'''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''"),
                       "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n")
        XCTAssertEqual(try string(#"'''I [dw]on't need \d{2} apples'''"#), #"I [dw]on't need \d{2} apples"#)
        XCTAssertEqual(try string(#"''''That,' she said, 'is still pointless.''''"#), #"'That,' she said, 'is still pointless.'"#)
        XCTAssertEqual(try string("'''a \\\n b'''"), "a \\\n b", "no escapes, not even a line-ending backslash")
    }

    // MARK: Numbers and booleans

    func testIntegers() throws {
        let cases: [(String, Int64)] = [
            ("+99", 99), ("42", 42), ("0", 0), ("-17", -17), ("-0", 0), ("+0", 0),
            ("1_000", 1000), ("5_349_221", 5_349_221), ("1_2_3_4_5", 12345),
            ("0xDEADBEEF", 0xDEAD_BEEF), ("0xdeadbeef", 0xDEAD_BEEF), ("0xdead_beef", 0xDEAD_BEEF), ("0x00ff", 255),
            ("0o01234567", 0o1234567), ("0o755", 0o755), ("0b11010110", 0b1101_0110), ("0b0000_0001", 1),
            ("9223372036854775807", .max), ("-9223372036854775808", .min), ("0x7FFFFFFFFFFFFFFF", .max),
        ]
        for (toml, expected) in cases {
            let parsed = try value(toml)
            XCTAssertEqual(parsed.kind, .integer(expected), toml)
            XCTAssertNil(parsed.float, "\(toml): an integer is not a float")
        }
    }

    func testFloats() throws {
        let cases: [(String, Double)] = [
            ("+1.0", 1), ("3.1415", 3.1415), ("-0.01", -0.01), ("5e+22", 5e22), ("1e06", 1e6), ("-2E-2", -0.02),
            ("6.626e-34", 6.626e-34), ("224_617.445_991_228", 224_617.445_991_228), ("0.0", 0), ("1e1_0", 1e10),
            ("0e0", 0), ("inf", .infinity), ("+inf", .infinity), ("-inf", -.infinity),
        ]
        for (toml, expected) in cases {
            let parsed = try value(toml)
            XCTAssertEqual(parsed.kind, .float(expected), toml)
            XCTAssertNil(parsed.integer, "\(toml): a float is not an integer")
        }
        XCTAssertEqual(try value("-0.0").float?.sign, .minus)
        XCTAssertEqual(try value("+0.0").float?.sign, .plus)
        for toml in ["nan", "+nan", "-nan"] {
            XCTAssertEqual(try value(toml).float?.isNaN, true, toml)
        }
        XCTAssertEqual(try value("1.0").kind, .float(1), "1.0 stays a float")
        XCTAssertNil(try value("1").float, "float does not convert an integer")
    }

    func testBooleans() throws {
        XCTAssertEqual(try value("true").kind, .boolean(true))
        XCTAssertEqual(try value("false").kind, .boolean(false))
        XCTAssertNil(try value("true").integer)
        XCTAssertNil(try value("1").boolean)
    }

    // MARK: Arrays and inline tables

    func testArrays() throws {
        XCTAssertEqual(try value("[]").array, [])
        XCTAssertEqual(try value("[ 1, 2, 3 ]").array?.compactMap(\.integer), [1, 2, 3])
        XCTAssertEqual(try value(#"[ "red", 'yellow', """green""" ]"#).array?.compactMap(\.string), ["red", "yellow", "green"])
        let mixed = try XCTUnwrap(try value(#"[ 0.1, "a", 1, true, [2], {x = 3} ]"#).array)
        XCTAssertEqual(mixed.map(\.kind), [
            .float(0.1), .string("a"), .integer(1), .boolean(true),
            .array([TOMLValue(.integer(2), line: 1)]), mixed[5].kind,
        ])
        XCTAssertEqual(mixed[5].table?["x"]?.integer, 3)
        let nested = try XCTUnwrap(try value("[ [ 1, 2 ], [\"a\", [ ]] ]").array)
        XCTAssertEqual(nested[0].array?.compactMap(\.integer), [1, 2])
        XCTAssertEqual(nested[1].array?.first?.string, "a")
        XCTAssertEqual(nested[1].array?.last?.array, [])
    }

    func testMultilineArraysTakeCommentsAndATrailingComma() throws {
        let root = try parse("""
            v = [ # opening comment
              1,   # one
              # a whole-line comment

              2, 3
              ,
              4,
            ] # closing comment
            after = true
            """)
        let elements = try XCTUnwrap(root["v"]?.array)
        XCTAssertEqual(elements.compactMap(\.integer), [1, 2, 3, 4])
        XCTAssertEqual(elements.map(\.line), [2, 5, 5, 7], "each element keeps its own line")
        XCTAssertEqual(root["after"]?.kind, .boolean(true))
        XCTAssertEqual(root["after"]?.line, 9)
        XCTAssertEqual(try value("[1,]").array?.count, 1)
    }

    func testInlineTables() throws {
        let root = try parse(#"""
            name = { first = "Tom", last = "Preston-Werner" }
            point = {x=1,y=2}
            animal = { type.name = "pug", type.size = 'small', legs = 4 }
            empty = {}
            nested = { a = { b = { c = [1] } } }
            """#)
        let name = try table(root, "name")
        XCTAssertEqual(name.keys, ["first", "last"])
        XCTAssertEqual(name["first"]?.string, "Tom")
        XCTAssertEqual(name["last"]?.string, "Preston-Werner")
        XCTAssertEqual(try table(root, "point")["y"]?.integer, 2)
        let animal = try table(root, "animal")
        XCTAssertEqual(animal.keys, ["type", "legs"])
        XCTAssertEqual(try table(root, "animal.type").keys, ["name", "size"])
        XCTAssertEqual(try table(root, "animal.type")["size"]?.string, "small")
        XCTAssertEqual(try table(root, "empty").count, 0)
        XCTAssertEqual(try table(root, "nested.a.b")["c"]?.array?.first?.integer, 1)
        XCTAssertEqual(try table(root, "nested.a.b").line, 5)
    }

    // MARK: Keys

    func testKeysBareQuotedAndDotted() throws {
        let root = try parse(#"""
            bare_key = 1
            bare-key = 2
            1234 = 3
            "127.0.0.1" = 4
            "character encoding" = 5
            'key2' = 6
            'quoted "value"' = 7
            "ʎǝʞ" = 8
            "" = 9
            "tab\tkey" = 10
            physical.color = "orange"
            physical . shape\#t.\#t"edge count" = 4
            site."google.com" = true
            3.14159 = "pi"
            """#)
        XCTAssertEqual(root.keys, ["bare_key", "bare-key", "1234", "127.0.0.1", "character encoding", "key2",
                                   "quoted \"value\"", "ʎǝʞ", "", "tab\tkey", "physical", "site", "3"])
        XCTAssertEqual(root["bare-key"]?.integer, 2)
        XCTAssertEqual(root["127.0.0.1"]?.integer, 4)
        XCTAssertEqual(root[""]?.integer, 9)
        XCTAssertEqual(root["tab\tkey"]?.integer, 10)
        let physical = try table(root, "physical")
        XCTAssertEqual(physical.keys, ["color", "shape"])
        XCTAssertEqual(try table(root, "physical.shape")["edge count"]?.integer, 4)
        XCTAssertEqual(try table(root, "site")["google.com"]?.boolean, true)
        XCTAssertEqual(try table(root, "3")["14159"]?.string, "pi", "3.14159 is two bare keys")
    }

    func testKeysKeepDocumentOrder() throws {
        let root = try parse("""
            zebra = 1
            apple = 2
            mango.z = 3
            mango.a = 4
            [table]
            [b]
            [a]
            """)
        XCTAssertEqual(root.keys, ["zebra", "apple", "mango", "table", "b", "a"])
        XCTAssertEqual(try table(root, "mango").keys, ["z", "a"])
    }

    // MARK: Tables

    func testTablesAndSuperTables() throws {
        let root = try parse(#"""
            title = "example"

            [table-1]
            key1 = "some string"
            key2 = 123

            [ dog . "tater.man" ]
            type.name = "pug"

            # [x] [x.y] [x.y.z] need not be defined before [x.y.z.w]
            [x.y.z.w]
            deep = 1
            [x] # defining a super-table afterwards is fine
            shallow = 2
            """#)
        XCTAssertEqual(root.keys, ["title", "table-1", "dog", "x"])
        XCTAssertEqual(try table(root, "table-1")["key2"]?.integer, 123)
        let tater = try XCTUnwrap(try table(root, "dog")["tater.man"]?.table)
        XCTAssertEqual(tater["type"]?.table?["name"]?.string, "pug")
        XCTAssertEqual(try table(root, "x.y.z.w")["deep"]?.integer, 1)
        XCTAssertEqual(try table(root, "x").keys, ["y", "shallow"])
        XCTAssertEqual(try table(root, "x")["shallow"]?.integer, 2)
    }

    func testDottedKeysMakeTablesThatHeadersMayGoBelow() throws {
        let root = try parse("""
            [fruit]
            apple.color = "red"
            apple.taste.sweet = true

            [fruit.apple.texture]
            smooth = true
            """)
        let apple = try table(root, "fruit.apple")
        XCTAssertEqual(apple.keys, ["color", "taste", "texture"])
        XCTAssertEqual(apple["taste"]?.table?["sweet"]?.boolean, true)
        XCTAssertEqual(apple["texture"]?.table?["smooth"]?.boolean, true)
    }

    func testArraysOfTables() throws {
        let root = try parse(#"""
            [[products]]
            name = "Hammer"
            sku = 738594937

            [[products]]  # empty table within the array

            [[products]]
            name = "Nail"
            color = "gray"

            [[fruits]]
            name = "apple"
            [fruits.physical]  # subtable
            color = "red"
            [[fruits.varieties]]  # nested array of tables
            name = "red delicious"
            [[fruits.varieties]]
            name = "granny smith"

            [[fruits]]
            name = "banana"
            [[fruits.varieties]]
            name = "plantain"
            """#)
        let products = try XCTUnwrap(root["products"]?.array)
        XCTAssertEqual(products.count, 3)
        XCTAssertEqual(products.map(\.line), [1, 5, 7])
        XCTAssertEqual(root["products"]?.line, 1)
        XCTAssertEqual(products[0].table?["sku"]?.integer, 738_594_937)
        XCTAssertEqual(products[1].table?.count, 0)
        XCTAssertEqual(products[2].table?.keys, ["name", "color"])
        let fruits = try XCTUnwrap(root["fruits"]?.array?.compactMap(\.table))
        XCTAssertEqual(fruits.count, 2)
        XCTAssertEqual(fruits[0].keys, ["name", "physical", "varieties"])
        XCTAssertEqual(fruits[0]["physical"]?.table?["color"]?.string, "red")
        XCTAssertEqual(fruits[0]["varieties"]?.array?.compactMap { $0.table?["name"]?.string }, ["red delicious", "granny smith"])
        XCTAssertEqual(fruits[1]["varieties"]?.array?.compactMap { $0.table?["name"]?.string }, ["plantain"])
    }

    func testAnImplicitTableMayBeDefinedAfterAnArrayOfTablesBelowIt() throws {
        let root = try parse("[[a.b]]\nx = 1\n\n[a]\ny = 2\n")
        let a = try table(root, "a")
        XCTAssertEqual(a.keys, ["b", "y"])
        XCTAssertEqual(a.line, 4, "the line of its own header, not of the header that implied it")
        XCTAssertEqual(a["b"]?.array?.first?.table?["x"]?.integer, 1)
    }

    // MARK: Lines and layout

    func testValuesAndTablesKnowTheirLines() throws {
        let root = try parse("""
            # comment
            a = 1

            [server]
            host = "h"
            port = 80
            inline = { k = 1 }
            dotted.key = 2

            [implied.child]
            x = [
              "first",
              "second",
            ]
            """)
        XCTAssertEqual(root.line, 1)
        XCTAssertEqual(root["a"]?.line, 2)
        XCTAssertEqual(root["server"]?.line, 4)
        XCTAssertEqual(try table(root, "server").line, 4)
        XCTAssertEqual(try table(root, "server")["port"]?.line, 6)
        XCTAssertEqual(try table(root, "server.inline").line, 7)
        XCTAssertEqual(try table(root, "server.inline")["k"]?.line, 7)
        XCTAssertEqual(try table(root, "server.dotted").line, 8)
        XCTAssertEqual(try table(root, "implied").line, 10, "made by the header of its child")
        let x = try XCTUnwrap(try table(root, "implied.child")["x"])
        XCTAssertEqual(x.line, 11)
        XCTAssertEqual(x.array?.map(\.line), [12, 13])
    }

    func testCRLFLineEndingsAndWhitespace() throws {
        let root = try parse("a = 1\r\n\r\n[t]\t# comment\r\n\tb = 'x'   \r\nc = \"\"\"\r\ny\"\"\"\r\n")
        XCTAssertEqual(root["a"]?.integer, 1)
        XCTAssertEqual(try table(root, "t").line, 3)
        XCTAssertEqual(try table(root, "t")["b"]?.line, 4)
        XCTAssertEqual(try table(root, "t")["c"]?.string, "y")
        XCTAssertEqual(try parse("").keys, [])
        XCTAssertEqual(try parse("\n\n  # only comments\r\n\t\n").keys, [])
        XCTAssertEqual(try parse("a=1").keys, ["a"], "no newline at the end")
        XCTAssertEqual(try parse("\u{FEFF}a = 1\n")["a"]?.integer, 1, "a byte order mark at the start is skipped")
    }

    func testTablesCompareByContent() throws {
        XCTAssertEqual(try parse("a = 1\nb = [2]"), try parse("a = 1\nb = [2]"))
        XCTAssertNotEqual(try parse("a = 1"), try parse("a = 2"))
        XCTAssertNotEqual(try parse("a = 1\nb = 2"), try parse("b = 2\na = 1"), "order counts")
        XCTAssertNotEqual(try parse("a = 1"), try parse("\na = 1"), "lines count")
        var built = TOMLTable()
        built.updateValue(TOMLValue(.integer(1), line: 1), forKey: "a")
        built.updateValue(TOMLValue(.string("x"), line: 2), forKey: "b")
        XCTAssertEqual(try parse("a = 1\nb = 'x'"), built)
    }

    // MARK: Errors

    func testDatesAndTimesAreRefusedWhereTheyStand() {
        for literal in ["1979-05-27", "07:32:00", "1979-05-27T07:32:00Z", "1979-05-27 07:32:00", "1979-05-27T00:32:00.999999-07:00", "00:32:00.5"] {
            let found = error("ok = 1\nwhen  = \(literal)\n")
            XCTAssertEqual(found?.message, "dates and times are not used in this file; quote it", literal)
            XCTAssertEqual(found?.line, 2, literal)
            XCTAssertEqual(found?.column, 9, literal)
        }
        XCTAssertEqual(error("a = [1, 1979-05-27]")?.column, 9)
        XCTAssertEqual(try string("'1979-05-27'"), "1979-05-27", "quoted it is a string")
    }

    func testErrorsDescribeThemselvesWithLineAndColumn() {
        let found = error("a = 1\n\nname x = 2\n")
        XCTAssertEqual(found, TOMLError(line: 3, column: 6, message: "expected '=' after the key 'name', found 'x'"))
        XCTAssertEqual(found?.description, "3:6: expected '=' after the key 'name', found 'x'")
    }

    /// Each document with the line of its first error and part of the message.
    private let invalidDocuments: [(toml: String, line: Int, message: String)] = [
        // Syntax
        ("name x = 1", 1, "expected '=' after the key 'name', found 'x'"),
        ("a.b", 1, "expected '=' after the key 'a.b', found the end of the file"),
        ("= 1", 1, "expected a key, found '='"),
        ("a. = 1", 1, "expected a key after '.', found '='"),
        ("a = ", 1, "expected a value, found the end of the file"),
        ("a = 1 2", 1, "expected the end of the line after the value of 'a', found '2'"),
        ("a = 1\nb = yes", 2, "expected a value, found 'yes'"),
        ("a = True", 1, "expected a value, found 'True'"),
        ("\"\"\"k\"\"\" = 1", 1, "a key cannot be a multi-line string"),
        ("ключ = 1", 1, "expected a key, found 'к'"),
        ("a = 1\r", 1, "a carriage return must be followed by a line feed"),
        ("# bell \u{07}", 1, "control character U+0007 is not allowed in a comment"),
        // Strings
        ("a = \"open", 1, "unterminated string"),
        ("a = \"line\nbreak\"", 1, "unterminated string"),
        ("a = 'open", 1, "unterminated string"),
        ("\n\na = \"\"\"never\nclosed", 3, "unterminated string: expected '\"\"\"' before the end of the file"),
        ("a = '''never", 1, "unterminated string: expected '''''"),
        (#"a = "\q""#, 1, #"invalid escape '\q'"#),
        (#"a = "\x41""#, 1, #"invalid escape '\x'"#),
        (#"a = "\ ""#, 1, #"invalid escape '\ '"#),
        (#"a = "\uD800""#, 1, #"the escape '\uD800' is not a Unicode scalar value"#),
        (#"a = "\U00110000""#, 1, #"the escape '\U00110000' is not a Unicode scalar value"#),
        (#"a = "\u12""#, 1, #"expected 4 hex digits after '\u', found '"'"#),
        ("a = \"bell\u{07}\"", 1, "control character U+0007 is not allowed in a string"),
        ("a = 'del\u{7F}'", 1, "control character U+007F is not allowed in a string"),
        ("a = \"\"\"a\"\"\"\"\"\"", 1, "expected the end of the line after the value of 'a', found '\"'"),
        // Numbers
        ("a = 012", 1, "leading zeros are not allowed in '012'"),
        ("a = 1__0", 1, "an underscore in a number must be between two digits"),
        ("a = 1_", 1, "an underscore in a number must be between two digits"),
        ("a = _1", 1, "an underscore in a number must be between two digits"),
        ("a = 9223372036854775808", 1, "the integer '9223372036854775808' does not fit in 64 bits"),
        ("a = -9223372036854775809", 1, "does not fit in 64 bits"),
        ("a = 0x8000000000000000", 1, "does not fit in 64 bits"),
        ("a = +0x10", 1, "a sign is not allowed on a hexadecimal integer"),
        ("a = 0xG", 1, "invalid character 'G' in the number '0xG'"),
        ("a = 0b2", 1, "invalid character '2' in the number '0b2'"),
        ("a = 0X10", 1, "invalid character 'X' in the number '0X10'"),
        ("a = 1.", 1, "expected a digit after '.' in the number '1.'"),
        ("a = .5", 1, "expected digits in the number '.5'"),
        ("a = 1e", 1, "expected an exponent in the number '1e'"),
        ("a = 1.2.3", 1, "invalid character '.' in the number '1.2.3'"),
        ("a = 1e400", 1, "the float '1e400' is out of range"),
        ("a = Inf", 1, "expected a value, found 'Inf'"),
        // Arrays and inline tables
        ("a = [1 2]", 1, "expected ',' or ']' after an array element, found '2'"),
        ("a = [,]", 1, "expected a value or ']' in the array, found ','"),
        ("a = [1,,2]", 1, "expected a value or ']' in the array, found ','"),
        ("a = [\n1,\n2", 1, "unterminated array"),
        ("a = {x = 1,}", 1, "a trailing comma is not allowed in an inline table"),
        ("a = {x = 1\n}", 1, "an inline table must be on one line"),
        ("a = {x = 1 # c\n}", 1, "found a comment (an inline table must be on one line)"),
        ("a = {x = 1 y = 2}", 1, "expected ',' or '}' after a value in the inline table, found 'y'"),
        ("a = {,}", 1, "expected a key, found ','"),
        // Headers
        ("[a", 1, "expected ']' to close the header [a], found the end of the file"),
        ("[[a]", 1, "expected ']]' to close the header [[a]], found the end of the file"),
        ("[]", 1, "expected a key, found ']'"),
        ("[a] b = 1", 1, "expected the end of the line after the table header [a], found 'b'"),
        ("[ [a] ]", 1, "expected a key, found '['"),
        // Keys and tables defined twice
        ("\n\na = 1\na = 2", 4, "the key 'a' is defined twice (first on line 3)"),
        ("a = 1\n\"a\" = 2", 2, "the key 'a' is defined twice (first on line 1)"),
        ("a.b = 1\na.b = 2", 2, "the key 'a.b' is defined twice (first on line 1)"),
        ("a = {x = 1, x = 2}", 1, "the key 'x' is defined twice (first on line 1)"),
        ("\n[a]\n[a]", 3, "the table [a] is defined twice (first on line 2)"),
        ("[a.b]\n[a]\n[a]", 3, "the table [a] is defined twice (first on line 2)"),
        ("[a]\nb = 1\n[a.b]", 3, "the key 'a.b' already holds an integer (line 2), so it cannot be a table"),
        ("a = 1\na.b = 2", 2, "the key 'a' already holds an integer (line 1), so it cannot be a table"),
        ("a = 'x'\n[a.b]", 2, "the key 'a' already holds a string (line 1), so it cannot be a table"),
        // Dotted keys against headers
        ("[fruit]\napple.color = 'red'\n[fruit.apple]", 3, "the table [fruit.apple] was already defined by dotted keys on line 2"),
        ("a.b.c = 1\n[a.b]", 2, "the table [a.b] was already defined by dotted keys on line 1"),
        ("[a.b.c]\nz = 9\n[a]\nb.c.t = 1", 4, "the table 'b' was made by the header on line 1; dotted keys cannot add to it"),
        ("[a.b]\n[a]\nb.x = 1", 3, "the table 'b' was made by the header on line 1; dotted keys cannot add to it"),
        // Inline tables are closed
        ("a = {x = 1}\na.y = 2", 2, "the inline table 'a' (line 1) cannot be extended"),
        ("a = {x = 1}\n[a]", 2, "the inline table 'a' (line 1) cannot be extended"),
        ("a = {x = 1}\n[a.b]", 2, "the inline table 'a' (line 1) cannot be extended"),
        ("a = {b = {c = 1}, b.d = 2}", 1, "the inline table 'b' (line 1) cannot be extended"),
        // Arrays of tables
        ("a = []\n[[a]]", 2, "the key 'a' is a static array (line 1); [[a]] cannot append to it"),
        ("a = [{x = 1}]\n[a.b]", 2, "the key 'a' already holds an array (line 1), so it cannot be a table"),
        ("[a]\n[[a]]", 2, "the key 'a' is a table (line 1), not an array of tables"),
        ("[a.b]\n[[a]]", 2, "the key 'a' is a table (line 1), not an array of tables"),
        ("[[a]]\n[a]", 2, "the key 'a' is an array of tables (line 1); add to it with [[a]]"),
        ("[[a.b]]\n[a]\nb.y = 2", 3, "the key 'b' is an array of tables (line 1); dotted keys cannot add to it"),
        ("[[a]]\n[a.b]\n[a.b]", 3, "the table [a.b] is defined twice (first on line 2)"),
        // Encoding
        ("\u{FEFF}\u{FEFF}a = 1", 1, "expected a key, found '\u{FEFF}'"),
    ]

    func testInvalidDocumentsAreRefusedWithTheLineAndWhy() {
        XCTAssertGreaterThanOrEqual(invalidDocuments.count, 40)
        for (toml, line, message) in invalidDocuments {
            guard let found = error(toml) else {
                XCTFail("accepted: \(toml.debugDescription)")
                continue
            }
            XCTAssertEqual(found.line, line, "\(toml.debugDescription): \(found)")
            XCTAssertTrue(found.message.contains(message), "\(toml.debugDescription): got '\(found.message)', wanted '\(message)'")
            XCTAssertGreaterThanOrEqual(found.column, 1, toml.debugDescription)
        }
    }

    func testErrorColumnsPointAtTheFault() {
        XCTAssertEqual(error("a = 1\n[t]\nb  =  012")?.column, 7, "the number")
        XCTAssertEqual(error("a = 1\na = 2")?.column, 1, "the key")
        XCTAssertEqual(error("x = 1\n  [a]\n  [a]")?.column, 4, "the table name in its header")
        XCTAssertEqual(error("a = \"é\\q\"")?.column, 8, "byte columns: é is two bytes")
        XCTAssertEqual(error("a = [1, 2 3]")?.column, 11)
        XCTAssertEqual(error("s = \"open")?.column, 5, "an unterminated string is reported where it opens")
    }

    // MARK: Limits and robustness

    func testNestingIsLimitedTo64Levels() throws {
        let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        var level = try value(deepest)
        for _ in 1..<64 { level = try XCTUnwrap(level.array?.first) }
        XCTAssertEqual(level.array, [])

        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        XCTAssertEqual(error("v = " + tooDeep)?.message, "arrays and inline tables are nested more than 64 levels deep")
        let tables = String(repeating: "{a=", count: 65) + "1" + String(repeating: "}", count: 65)
        XCTAssertEqual(error("v = " + tables)?.message, "arrays and inline tables are nested more than 64 levels deep")
        XCTAssertNotNil(try value(String(repeating: "{a=", count: 64) + "1" + String(repeating: "}", count: 64)).table)
        XCTAssertNotNil(error("v = " + String(repeating: "[{a=", count: 50_000)), "very deep input is refused, not a stack overflow")
        XCTAssertNotNil(error("v = {" + String(repeating: "a.", count: 10_000) + "b = 1}"))
        XCTAssertNotNil(error("[" + String(repeating: "a.", count: 10_000) + "b]"))
        XCTAssertEqual(error("[" + String(repeating: "a.", count: 10_000) + "b]")?.message, "a key has more than 64 parts")
    }

    private static let richDocument = #"""
        # A document with every feature, for the truncation checks.
        title = "TOML \"example\" \u00E9 \U0001F600"
        literal = 'C:\path'
        multi = """
        Roses \
          are red
        two quotes "" here"""
        raw = '''
        first line
        'quoted' '''
        ints = [+99, -17, 0, 1_000, 0xDEAD_beef, 0o755, 0b1101]
        floats = [3.14, -0.01, 5e+22, 1E-2, inf, -nan, 6_626.0e-3_4]
        bools = [true, false]
        mixed = [ 1, "two", [3.0], { four = 4 }, ]
        "quoted key" = 1
        'literal key'.sub = 2
        a . b . c = 3

        [server]  # a comment
        host = "localhost"
        ports = [
          8000, # first
          8001,
        ]
        owner = { name = "Tom", dob.year = 1979, tags = [] }

        [server.tls]
        enabled = true

        [[products]]
        name = "Hammer"

        [[products]]

        [[products]]
        name = "Nail"
        [products.size]
        mm = 40
        [[products.variants]]
        color = "gray"

        [x.y.z]
        [x]
        done = true
        """#

    func testTheRichDocumentReads() throws {
        let root = try parse(Self.richDocument)
        XCTAssertEqual(root.keys, ["title", "literal", "multi", "raw", "ints", "floats", "bools", "mixed",
                                   "quoted key", "literal key", "a", "server", "products", "x"])
        XCTAssertEqual(root["title"]?.string, "TOML \"example\" é 😀")
        XCTAssertEqual(root["multi"]?.string, "Roses are red\ntwo quotes \"\" here")
        XCTAssertEqual(root["raw"]?.string, "first line\n'quoted' ")
        XCTAssertEqual(root["ints"]?.array?.compactMap(\.integer), [99, -17, 0, 1000, 0xDEAD_BEEF, 0o755, 0b1101])
        XCTAssertEqual(root["floats"]?.array?.count, 7)
        XCTAssertEqual(root["floats"]?.array?.last?.float ?? 0, 6.626e-31, accuracy: 1e-40)
        XCTAssertEqual(try table(root, "a.b")["c"]?.integer, 3)
        XCTAssertEqual(try table(root, "server.owner.dob")["year"]?.integer, 1979)
        XCTAssertEqual(try table(root, "server").keys, ["host", "ports", "owner", "tls"])
        XCTAssertEqual(root["products"]?.array?.count, 3)
        XCTAssertEqual(root["products"]?.array?.last?.table?["size"]?.table?["mm"]?.integer, 40)
        XCTAssertEqual(try table(root, "x").keys, ["y", "done"])
    }

    func testNoTruncationOrMangledByteCrashes() throws {
        let bytes = Array(Self.richDocument.utf8)
        var accepted = 0, refused = 0
        func check(_ text: String) {
            guard let found = error(text) else {
                accepted += 1
                return
            }
            refused += 1
            let lineCount = text.utf8.filter { $0 == UInt8(ascii: "\n") }.count + 1
            XCTAssert((1...lineCount).contains(found.line) && found.column >= 1 && !found.message.isEmpty, "\(found)")
        }
        for end in 0...bytes.count {
            check(String(decoding: bytes[..<end], as: UTF8.self))
        }
        // Every byte replaced by each of a few troublesome ones.
        for position in bytes.indices {
            for replacement in [UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"),
                                UInt8(ascii: "="), UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0, 0xFF] {
                var mangled = bytes
                mangled[position] = replacement
                check(String(decoding: mangled, as: UTF8.self))
            }
        }
        XCTAssertGreaterThan(accepted, 0)
        XCTAssertGreaterThan(refused, 0)
    }
}
