import MQCommands
import MQCore
import MQParsing

/// One parser that reads untrusted input. Every input must either parse or
/// throw one of the parser's own typed errors; anything else (a trap, an
/// unexpected error type, an empty message) is a finding.
enum FuzzTarget: String, CaseIterable {
    case url, duration, time, tokenizer, envelope, importLine = "import-line", layoutFile = "layout-file", layoutMember = "layout-member"

    /// What the parser did with one input.
    enum Outcome { case accepted, rejected }

    func run(_ input: [UInt8]) -> Outcome {
        do {
            try parse(input)
            return .accepted
        } catch {
            check(error)
            return .rejected
        }
    }

    private func parse(_ input: [UInt8]) throws {
        let text = String(decoding: input, as: UTF8.self)
        switch self {
        case .url: _ = try RedisURL.parse(text)
        case .duration: _ = try DurationValue(parsing: text)
        case .time: _ = try TimeValue(parsing: text).epochMilliseconds(now: 1_795_370_400_000)
        case .tokenizer: _ = try LineTokenizer.split(text)
        case .envelope: _ = try Envelope(id: "fuzz", key: "mq:{fuzz}:msg:fuzz", fields: Self.fields(input))
        case .importLine: _ = try ExportedMessage.parse(input, now: 1_795_370_400_000)
        case .layoutFile: _ = try LayoutFile(text: text, path: "fuzz.toml")
        case .layoutMember:
            // Never throws: an unreadable member is reported in `problem`, and a rewrite keeps it as it was.
            let message = LayoutMessage(member: input, layout: Self.layout, score: 1_795_370_400_000)
            _ = message.rewritten(layout: Self.layout, attempts: 3, error: "boom", failedAt: 1_795_370_400_000)
            if let problem = message.problem { throw MQError.unreadableMember(key: "fuzz", reason: problem) }
        }
    }

    /// A layout with every field, for `layout-member`.
    static let layout = Layout(
        name: "fuzz", queues: .fixed([]), ready: [Layout.ReadyList(tier: "normal", key: "fuzz")],
        fields: Layout.Fields(id: "/id", attempts: "/meta/attempts", error: "/error",
                              enqueuedAt: Layout.TimeField(path: "/created_at", unit: .rfc3339),
                              failedAt: Layout.TimeField(path: "/failed_at", unit: .seconds), tier: "/priority"))

    /// Traps on an error the parser should never throw, so libFuzzer and
    /// the property run both report it.
    private func check(_ error: Error) {
        let expected: Bool
        switch self {
        case .url: expected = error is RedisURLError
        case .duration: expected = error is DurationError
        case .time: expected = error is TimeValueError
        case .tokenizer: expected = error is LineTokenizer.UnbalancedQuote || error is LineTokenizer.TrailingBackslash
        case .envelope: expected = error is MQError
        case .importLine: expected = error is UsageError || error is MQError || error is TimeValueError || error is JSONInputError
        case .layoutFile: expected = error is UsageError
        case .layoutMember: expected = error is MQError
        }
        let message = String(describing: error)
        guard expected, !message.isEmpty else {
            fatalError("\(rawValue): unexpected error \(type(of: error)): \(message)")
        }
    }

    /// Splits an input into hash fields: NUL-separated name, value, name, …
    static func fields(_ input: [UInt8]) -> [String: [UInt8]] {
        let parts = input.split(separator: 0, omittingEmptySubsequences: false)
        var fields: [String: [UInt8]] = [:]
        for index in stride(from: 0, to: parts.count - 1, by: 2) {
            fields[String(decoding: parts[index], as: UTF8.self)] = Array(parts[index + 1])
        }
        return fields
    }

    /// Valid and nearly valid inputs the mutations start from.
    var seeds: [[UInt8]] {
        let texts: [String]
        switch self {
        case .url:
            texts = ["redis://127.0.0.1:6379/0", "redis://user:p%40ss@[::1]:6380/2", "unix:///run/redis.sock?db=3",
                     "redis://secret@host", "rediss://h", "redis://h:0", "redis://:@/", "unix://u:p@/tmp/s"]
        case .duration:
            texts = ["30s", "1h30m", "250ms", "7d", "0s", "9223372036854775807ms", "1.5s", "-1s", "10"]
        case .time:
            texts = ["2026-11-22T10:00:00Z", "2026-11-22T10:00:00.123+02:00", "1795370400000", "+5m", "now", "2026-02-30T00:00:00Z"]
        case .tokenizer:
            texts = ["stats -o json", "enqueue q 'a b' \"c \\\" d\"", "dlq list q --grep 'x y'", "a\\ b", "'unterminated", "tail\\"]
        case .envelope:
            texts = ["payload\0hi\0headers\0{}\0priority\0normal\0attempts\00\0max_attempts\025\0enqueued_at\01\0run_at\01\0state\0ready",
                     "payload\0\0priority\0urgent\0attempts\0x\0state\0dead\0failed_at\0",
                     "headers\0{\"a\":1}\0payload\0p"]
        case .importLine:
            texts = [#"{"id":"m1","payload":"aGk=","payload_encoding":"base64","priority":"urgent","attempts":3,"max_attempts":5,"enqueued_at":"2026-11-22T10:00:00Z","failed_at":1795370400000,"last_error":"boom","headers":{"k":"v"}}"#,
                     #"{"id":"m2","payload":"x","attempts":1e300}"#, #"{"id":"bad id","payload":""}"#, "[]", #"{"id":"m3","payload":"x","run_at":-9.9e99}"#]
        case .layoutFile:
            texts = ["[layouts.a]\nqueues = [\"q\"]\nready = [{ tier = \"n\", key = \"a:{queue}\" }]\npush = \"left\"\npop = \"right\"\nretry = { key = \"r\", score = \"seconds\" }\n"
                        + "dead = { key = \"d\", type = \"list\" }\nmember = { id = \"j:{id}\", store = \"hash\" }\n[layouts.a.fields]\n"
                        + "enqueued_at = { path = \"/t\", unit = \"rfc3339\" }\n[queues]\nq = \"a\"\n",
                     "[layouts.b]\nqueues = { pattern = \"x:{queue}\" }\nready = [\"x:{queue}\"]\ncapacity = -1\n", "[layouts", "a = [1, 2"]
        case .layoutMember:
            texts = [#"{"id":"t1","meta":{"attempts":2},"error":"x","created_at":"2026-11-22T10:00:00Z","failed_at":1795370400,"priority":"normal"}"#,
                     #"{"id":7,"meta":[1],"created_at":"not a time","failed_at":1e300}"#, "not json", "{}", #"{"a":"\ud800"}"#]
        }
        return texts.map { Array($0.utf8) }
    }
}
