/// Derives new inputs from old ones the way a coverage-blind fuzzer does:
/// bit flips, boundary bytes, tokens that parsers care about, splices.
/// Seeded, so a finding can be replayed.
struct Mutator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// SplitMix64: small, fast, and good enough to pick mutations.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }

    private static let tokens: [[UInt8]] = [
        "://", "@", ":", "/", "[", "]", "%", "%zz", "%ff", "?", "=", "db=", "'", "\"", "\\", " ", "{", "}", ",",
        "e999", "-", "+", ".", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "0", "1e300",
        "ms", "s", "m", "h", "d", "T", "Z", "+02:00", "null", "true", "\"payload\":", "\"base64\"", "\u{0}", "\u{FFFD}",
    ].map { Array($0.utf8) }

    mutating func mutate(_ input: [UInt8], splicingWith other: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0...below(4) {
            switch below(8) {
            case 0 where !bytes.isEmpty:
                bytes[below(bytes.count)] ^= UInt8(1 << below(8))
            case 1 where !bytes.isEmpty:
                bytes[below(bytes.count)] = [0x00, 0x7F, 0x80, 0xC3, 0xFF, 0x0A, 0x0D][below(7)]
            case 2:
                bytes.insert(contentsOf: Self.tokens[below(Self.tokens.count)], at: below(bytes.count + 1))
            case 3 where !bytes.isEmpty:
                let start = below(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + below(8)))
            case 4 where !bytes.isEmpty:
                let start = below(bytes.count)
                let piece = bytes[start..<min(bytes.count, start + 1 + below(16))]
                bytes.insert(contentsOf: piece, at: below(bytes.count + 1))
            case 5:
                let cut = below(bytes.count + 1)
                bytes = Array(bytes[..<cut]) + other[below(other.count + 1)...]
            case 6:
                bytes.insert(UInt8(truncatingIfNeeded: next()), at: below(bytes.count + 1))
            default:
                bytes = Array(bytes.prefix(below(bytes.count + 1)))
            }
        }
        return Array(bytes.prefix(4096))
    }
}
