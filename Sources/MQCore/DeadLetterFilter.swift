import FoundationEssentials
import Glibc

/// A `--error` regular expression, matched anywhere in a last error.
/// Swift's Regex on Unicode scalars, as NSRegularExpression (ICU) matched.
public struct ErrorPattern: @unchecked Sendable {
    // @unchecked: a Regex is immutable once built, but not marked Sendable.
    private let regex: Regex<AnyRegexOutput>

    public init(_ pattern: String) throws {
        regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
    }

    public func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }
}

/// Which dead letters a listing, replay, purge or export takes. All
/// conditions must hold; an empty filter takes every dead letter.
public struct DeadLetterFilter {
    /// Failed at least this long ago (ms).
    public var olderThan: Int64?
    /// Failed at most this long ago (ms).
    public var newerThan: Int64?
    /// Matched against `last_error` anywhere in it.
    public var error: ErrorPattern?
    /// Every pair must be among the message's headers.
    public var headers: [String: String] = [:]
    /// Bytes that must occur in the payload.
    public var payloadContains: [UInt8]?

    public init(olderThan: Int64? = nil, newerThan: Int64? = nil, error: ErrorPattern? = nil,
                headers: [String: String] = [:], payloadContains: [UInt8]? = nil) {
        self.olderThan = olderThan
        self.newerThan = newerThan
        self.error = error
        self.headers = headers
        self.payloadContains = payloadContains
    }

    public var isEmpty: Bool {
        olderThan == nil && newerThan == nil && !needsEnvelope
    }

    /// True when matching needs more than the failed-at score.
    var needsEnvelope: Bool {
        error != nil || !headers.isEmpty || payloadContains != nil
    }

    /// The score range (failed-at, ms) the time conditions allow.
    func scoreRange(now: Int64) -> (max: Int64?, min: Int64?) {
        (olderThan.map { now - $0 }, newerThan.map { now - $0 })
    }

    func matches(_ envelope: Envelope?) -> Bool {
        guard needsEnvelope else { return true }
        guard let envelope else { return false }
        if let error {
            let text = envelope.lastError ?? ""
            guard error.matches(text) else { return false }
        }
        for (key, value) in headers where envelope.headers[key] != value {
            return false
        }
        if let needle = payloadContains, !needle.isEmpty {
            guard envelope.payload.count >= needle.count,
                  (0...(envelope.payload.count - needle.count)).contains(where: { envelope.payload[$0..<($0 + needle.count)].elementsEqual(needle) })
            else { return false }
        }
        return true
    }
}

/// A position in the newest-first listing of dead letters: the failed-at
/// score and id of the last item handed out. Written `SCORE:ID`.
public struct DeadLetterCursor: Equatable, Sendable, CustomStringConvertible {
    public var score: Int64
    public var id: String

    public init(score: Int64, id: String) {
        self.score = score
        self.id = id
    }

    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":"), let score = Int64(text[..<colon]), colon < text.index(before: text.endIndex) else {
            throw MQError.invalidCursor(text)
        }
        self.init(score: score, id: String(text[text.index(after: colon)...]))
    }

    public var description: String { "\(score):\(id)" }
}

/// One dead letter: its id, failed-at score and envelope (nil when the
/// envelope is missing or unreadable; `problem` says which).
public struct DeadLetter: Sendable {
    public var id: String
    public var failedAt: Int64
    public var envelope: Envelope?
    public var problem: String?
}
