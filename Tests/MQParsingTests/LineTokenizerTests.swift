import MQParsing
import XCTest

final class LineTokenizerTests: XCTestCase {
    func testWords() throws {
        let cases: [(String, [String])] = [
            ("stats", ["stats"]),
            ("  dlq   list orders  ", ["dlq", "list", "orders"]),
            ("enqueue orders 'hello world'", ["enqueue", "orders", "hello world"]),
            (#"enqueue orders "say \"hi\"\n""#, ["enqueue", "orders", "say \"hi\"\n"]),
            (#"enqueue orders it\'s"#, ["enqueue", "orders", "it's"]),
            (#"enqueue q '{"a": "b c"}'"#, ["enqueue", "q", #"{"a": "b c"}"#]),
            ("enqueue q ''", ["enqueue", "q", ""]),
            ("a'b'\"c\"d", ["abcd"]),
            ("enqueue q héllo 日本 🎉", ["enqueue", "q", "héllo", "日本", "🎉"]),
            ("stats # all queues", ["stats"]),
            ("# a comment", []),
            ("enqueue q a#b", ["enqueue", "q", "a#b"]),
            ("", []),
            (#"enqueue q 'back\slash'"#, ["enqueue", "q", #"back\slash"#]),
        ]
        for (line, words) in cases {
            XCTAssertEqual(try LineTokenizer.split(line), words, line)
        }
    }

    func testUnbalancedQuotesAreErrors() {
        for line in ["enqueue q 'open", #"enqueue q "open"#, #"say "a\""#, "trailing \\"] {
            XCTAssertThrowsError(try LineTokenizer.split(line), line)
        }
        XCTAssertThrowsError(try LineTokenizer.split("x 'y")) { error in
            XCTAssertEqual("\(error)", "unbalanced single quote")
        }
    }
}
