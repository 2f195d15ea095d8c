/// A value that can be sent as one argument of a Redis command.
/// Arguments are always sent as length-prefixed bulk strings, never
/// interpreted as a format string, so any bytes are safe.
public protocol RedisArgument {
    /// Appends the argument's bytes.
    func appendRedisBytes(to buffer: inout [UInt8])
}

extension String: RedisArgument {
    public func appendRedisBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
}

extension Substring: RedisArgument {
    public func appendRedisBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
}

extension Array: RedisArgument where Element == UInt8 {
    public func appendRedisBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
}

extension Int: RedisArgument {
    public func appendRedisBytes(to buffer: inout [UInt8]) { Int64(self).appendRedisBytes(to: &buffer) }
}

extension Int64: RedisArgument {
    /// Decimal digits, written without an intermediate String.
    public func appendRedisBytes(to buffer: inout [UInt8]) {
        if self < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = self.magnitude
        let start = buffer.count
        repeat {
            buffer.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        buffer[start...].reverse()
    }
}

/// One command: its name and arguments, stored back to back in one buffer
/// so that building and encoding a command cost few allocations.
public struct RedisCommand: Sendable, Equatable {
    /// Every argument's bytes, concatenated.
    var bytes: [UInt8] = []
    /// Where each argument ends in `bytes`.
    var ends: [Int] = []

    public init(_ arguments: [any RedisArgument]) {
        ends.reserveCapacity(arguments.count)
        for argument in arguments {
            argument.appendRedisBytes(to: &bytes)
            ends.append(bytes.count)
        }
    }

    public init(_ arguments: any RedisArgument...) {
        self.init(arguments)
    }

    /// Appends one argument. Commands built argument by argument (a script
    /// call of thousands) avoid an array of existentials and its
    /// reference counting.
    public mutating func append(_ argument: some RedisArgument) {
        argument.appendRedisBytes(to: &bytes)
        ends.append(bytes.count)
    }

    /// The arguments, each as bytes.
    public var arguments: [[UInt8]] {
        ends.indices.map { Array(argument($0)) }
    }

    /// How many arguments, the name included.
    var count: Int { ends.count }

    /// Argument `index` (0 is the name), without copying the others.
    func argument(_ index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]]
    }

    /// The command's name, for messages (never its arguments, which may
    /// hold secrets).
    public var name: String {
        String(decoding: bytes[..<(ends.first ?? 0)], as: UTF8.self).uppercased()
    }
}
