import MQRedis

/// One message from a pub/sub channel, as Redis delivered it.
public struct ChannelMessage: Sendable, Equatable {
    /// The channel it was published on.
    public var channel: [UInt8]
    /// The pattern it matched (PSUBSCRIBE); nil for a channel subscribed by name.
    public var pattern: [UInt8]?
    /// The message, byte for byte.
    public var payload: [UInt8]
    /// When it reached mqctl (ms since the epoch): pub/sub carries no time
    /// of its own.
    public var receivedAt: Int64

    public init(channel: [UInt8], pattern: [UInt8]?, payload: [UInt8], receivedAt: Int64) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
        self.receivedAt = receivedAt
    }
}

/// Any application's pub/sub channels (`queue-updates`, `test:*`), followed
/// as they are: mqctl subscribes and reads, never publishes, and neither the
/// names nor the messages are its own, so nothing is parsed or checked here.
public struct ChannelListener {
    public let connection: RedisConnection
    public let time: any TimeSource

    public init(connection: RedisConnection, time: any TimeSource = SystemTime()) {
        self.connection = connection
        self.time = time
    }

    /// SUBSCRIBEs to `channels` and PSUBSCRIBEs to `patterns`, then hands
    /// each message to `body` until it returns false or an interruption is
    /// requested (`Interruption`, looked at every 200 ms). A message on a
    /// channel that is both named and matched comes twice, as Redis sends it.
    /// The connection is given over to pub/sub and closed on the way out.
    public func follow(channels: [String], patterns: [String], body: (ChannelMessage) throws -> Bool) throws {
        var commands: [RedisCommand] = []
        if !channels.isEmpty { commands.append(RedisCommand(["SUBSCRIBE"] + channels)) }
        if !patterns.isEmpty { commands.append(RedisCommand(["PSUBSCRIBE"] + patterns)) }
        guard !commands.isEmpty else { return }
        defer { connection.close() } // a subscribed connection serves nothing else
        // One reply is read per command (the first confirmation); the other
        // confirmations arrive below and are skipped. An error (an ACL that
        // refuses a channel) is thrown wherever it comes.
        for reply in try connection.pipeline(commands) { _ = try reply.throwingError() }
        while !Interruption.requested {
            guard let reply = try connection.receive(timeout: 0.2) else { continue }
            let parts = try reply.throwingError().array()
            guard let kind = try parts.first?.string() else { continue }
            let message: ChannelMessage
            switch kind {
            case "message" where parts.count == 3:
                message = ChannelMessage(channel: try parts[1].bytes(), pattern: nil, payload: try parts[2].bytes(),
                                         receivedAt: time.nowMilliseconds())
            case "pmessage" where parts.count == 4:
                message = ChannelMessage(channel: try parts[2].bytes(), pattern: try parts[1].bytes(),
                                         payload: try parts[3].bytes(), receivedAt: time.nowMilliseconds())
            default:
                continue // subscribe / psubscribe confirmations
            }
            if try !body(message) { return }
        }
    }
}
