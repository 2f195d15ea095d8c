/// A value that can be sent as one argument of a Redis command.
/// Arguments are always sent as length-prefixed bulk strings, never
/// interpreted as a format string, so any bytes are safe.
public protocol RedisArgument {
    /// How many bytes `appendRedisBytes` appends: the bulk string's
    /// length goes before them.
    var redisByteCount: Int { get }
    /// Appends the argument's bytes.
    func appendRedisBytes(to buffer: inout [UInt8])
}

extension String: RedisArgument {
    @inlinable
    public var redisByteCount: Int { utf8.count }

    @inlinable
    public func appendRedisBytes(to buffer: inout [UInt8]) {
        // withUTF8 copies straight from native storage; the UTF8View
        // sequence path costs several times more per command.
        var text = self
        text.withUTF8 { buffer.append(contentsOf: $0) }
    }
}

extension Substring: RedisArgument {
    public var redisByteCount: Int { utf8.count }
    public func appendRedisBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
}

extension Array: RedisArgument where Element == UInt8 {
    @inlinable
    public var redisByteCount: Int { count }
    @inlinable
    public func appendRedisBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
}

extension Int: RedisArgument {
    @inlinable
    public var redisByteCount: Int { Int64(self).redisByteCount }
    @inlinable
    public func appendRedisBytes(to buffer: inout [UInt8]) { Int64(self).appendRedisBytes(to: &buffer) }
}

extension Int64: RedisArgument {
    @inlinable
    public var redisByteCount: Int { (self < 0 ? 1 : 0) + RESPText.digitCount(magnitude) }

    /// Decimal digits, written without an intermediate String.
    @inlinable
    public func appendRedisBytes(to buffer: inout [UInt8]) {
        if self < 0 { buffer.append(UInt8(ascii: "-")) }
        RESPText.appendDecimal(self.magnitude, to: &buffer)
    }
}

/// The pieces of RESP text that commands are built from.
@usableFromInline
enum RESPText {
    /// How many decimal digits `value` has.
    @inlinable
    static func digitCount(_ value: UInt64) -> Int {
        var count = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }

    /// `value` in decimal digits.
    @inlinable
    static func appendDecimal(_ value: UInt64, to buffer: inout [UInt8]) {
        withDecimal(value) { buffer.append(contentsOf: $0) }
    }

    /// Calls `body` with `value`'s decimal digits: at most 20, written
    /// into a stack buffer from the end.
    @inlinable
    static func withDecimal<T>(_ value: UInt64, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { raw in
            var index = raw.count
            var rest = value
            repeat {
                index -= 1
                raw[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            return body(UnsafeRawBufferPointer(rebasing: raw[index...]))
        }
    }
}

/// One command, kept as RESP from the start: each argument is a bulk
/// string (`$LEN\r\nBYTES\r\n`) appended to one buffer, so building a
/// command is one allocation and sending it is a copy.
public struct RedisCommand: Sendable, Equatable {
    /// The arguments as RESP bulk strings, back to back.
    @usableFromInline var encoded: [UInt8] = []
    /// How many arguments, the name included.
    @usableFromInline private(set) var count = 0

    public init(_ arguments: [any RedisArgument]) {
        encoded.reserveCapacity(32 * arguments.count)
        for argument in arguments {
            append(argument)
        }
    }

    /// Each argument's own type is known here, so no existential box or
    /// array of them is built: the common, fixed-shape command is cheap.
    @inlinable
    public init<each Argument: RedisArgument>(_ arguments: repeat each Argument) {
        var count = 0
        for _ in repeat each arguments { count += 1 }
        encoded.reserveCapacity(32 * count)
        repeat append(each arguments)
    }

    /// Appends one argument. Commands built argument by argument (a script
    /// call of thousands) avoid an array of existentials and its
    /// reference counting.
    @inlinable
    public mutating func append(_ argument: some RedisArgument) {
        let length = argument.redisByteCount
        encoded.append(UInt8(ascii: "$"))
        RESPText.appendDecimal(UInt64(length), to: &encoded)
        encoded.append(UInt8(ascii: "\r"))
        encoded.append(UInt8(ascii: "\n"))
        let start = encoded.count
        argument.appendRedisBytes(to: &encoded)
        assert(encoded.count - start == length, "redisByteCount disagrees with appendRedisBytes")
        encoded.append(UInt8(ascii: "\r"))
        encoded.append(UInt8(ascii: "\n"))
        count += 1
    }

    /// The arguments, each as bytes.
    public var arguments: [[UInt8]] {
        (0..<count).map { Array(argument($0)) }
    }

    /// Argument `index` (0 is the name), without copying the others:
    /// found by walking the bulk-string headers before it.
    func argument(_ index: Int) -> ArraySlice<UInt8> {
        var position = 0
        var argument = 0
        while true {
            var length = 0
            position += 1 // "$"
            while encoded[position] != UInt8(ascii: "\r") {
                length = length * 10 + Int(encoded[position] - UInt8(ascii: "0"))
                position += 1
            }
            position += 2 // "\r\n"
            if argument == index { return encoded[position..<(position + length)] }
            position += length + 2
            argument += 1
        }
    }

    /// The command's name, for messages (never its arguments, which may
    /// hold secrets).
    public var name: String {
        count == 0 ? "" : String(decoding: argument(0), as: UTF8.self).uppercased()
    }
}
