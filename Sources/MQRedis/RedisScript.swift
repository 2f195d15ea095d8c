/// A Lua script sent by its SHA1 (EVALSHA) so its source crosses the wire
/// once per server; see https://redis.io/commands/evalsha/.
public struct RedisScript: Sendable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hexDigest(Array(source.utf8))
    }

    func evalsha(keys: [any RedisArgument], arguments: [any RedisArgument]) -> RedisCommand {
        var command = call(keyCount: keys.count)
        for key in keys { command.append(key) }
        for argument in arguments { command.append(argument) }
        return command
    }

    /// The start of an EVALSHA call of `keyCount` keys: append the keys,
    /// then the arguments; run it with `runPipelined(_:commands:)`.
    public func call(keyCount: Int) -> RedisCommand {
        RedisCommand("EVALSHA", sha1, keyCount)
    }

    /// The start of an EVAL call of `keyCount` keys: append the keys, then
    /// the arguments. It carries the source, so it cannot meet NOSCRIPT:
    /// for calls kept in flight (`submit`), where a retry would reorder
    /// them. Redis caches the compiled script by its SHA1.
    public func evalCall(keyCount: Int) -> RedisCommand {
        RedisCommand("EVAL", source, keyCount)
    }
}

extension RedisConnection {
    /// Runs `script` with EVALSHA. When the server does not have it
    /// (NOSCRIPT: a restart, a failover, SCRIPT FLUSH) the script is loaded
    /// and the call retried once.
    @discardableResult
    public func run(_ script: RedisScript, keys: [any RedisArgument] = [], arguments: [any RedisArgument] = []) throws -> RedisReply {
        let command = script.evalsha(keys: keys, arguments: arguments)
        do {
            return try send(command)
        } catch let error as RedisServerError where error.kind == .noScript {
            try send("SCRIPT", "LOAD", script.source)
            return try send(command)
        }
    }

    /// Runs `script` once per entry of `calls` in one pipeline. When any
    /// reply is NOSCRIPT the script is loaded and those calls alone are sent
    /// again, so no call runs twice.
    public func runPipelined(_ script: RedisScript, _ calls: [(keys: [any RedisArgument], arguments: [any RedisArgument])]) throws -> [RedisReply] {
        try runPipelined(script, commands: calls.map { script.evalsha(keys: $0.keys, arguments: $0.arguments) })
    }

    /// The same for calls built with `script.call(keyCount:)`.
    public func runPipelined(_ script: RedisScript, commands: [RedisCommand]) throws -> [RedisReply] {
        var replies = try pipeline(commands)
        let missing = replies.indices.filter {
            if case .error(let error) = replies[$0] { return error.kind == .noScript }
            return false
        }
        guard !missing.isEmpty else { return replies }
        try send("SCRIPT", "LOAD", script.source)
        let retried = try pipeline(missing.map { commands[$0] })
        for (index, reply) in zip(missing, retried) {
            replies[index] = reply
        }
        return replies
    }
}
