/// A value that can be sent as one argument of a Redis command.
/// Arguments are always sent as length-prefixed bulk strings, never
/// interpreted as a format string, so any bytes are safe.
public protocol RedisArgument {
    var redisBytes: [UInt8] { get }
}

extension String: RedisArgument {
    public var redisBytes: [UInt8] { Array(utf8) }
}

extension Substring: RedisArgument {
    public var redisBytes: [UInt8] { Array(utf8) }
}

extension Array: RedisArgument where Element == UInt8 {
    public var redisBytes: [UInt8] { self }
}

extension Int: RedisArgument {
    public var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Int64: RedisArgument {
    public var redisBytes: [UInt8] { Array(String(self).utf8) }
}

/// One command: its name and arguments as bytes.
public struct RedisCommand: Sendable, Equatable {
    public var arguments: [[UInt8]]

    public init(_ arguments: [any RedisArgument]) {
        self.arguments = arguments.map(\.redisBytes)
    }

    public init(_ arguments: any RedisArgument...) {
        self.init(arguments)
    }

    /// The command's name, for messages (never its arguments, which may
    /// hold secrets).
    public var name: String {
        String(decoding: arguments.first ?? [], as: UTF8.self).uppercased()
    }
}
