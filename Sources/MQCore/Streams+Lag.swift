import MQRedis

extension Streams {
    /// How far `fillMissingLags` counts before it stops and says "at least":
    /// ten times the backlog an alert is usually set at, and a count a
    /// script does in a few milliseconds.
    public static let defaultLagCap = 10_000

    /// Gives every group whose lag XINFO GROUPS left null a figure of
    /// mqctl's own: the entries after its last-delivered-id, counted on the
    /// server (`streamCountAfter`, only the number crosses the wire) up to
    /// `cap`. Redis leaves the lag null when an entry after that id was
    /// deleted (XDEL, or XTRIM through them): its entries-added minus the
    /// group's entries-read would then count the deleted entries too. One
    /// round trip for all the groups that need it, none when none do.
    func fillMissingLags(_ streams: [String], _ groups: inout [[StreamGroup]], cap: Int) throws {
        let missing = groups.indices.flatMap { stream in
            groups[stream].indices.filter { groups[stream][$0].lag == nil }.map { (stream: stream, group: $0) }
        }
        guard !missing.isEmpty else { return }
        let replies = try connection.runPipelined(QueueScripts.streamCountAfter, missing.map { place in
            let group = groups[place.stream][place.group]
            return (keys: [streams[place.stream]] as [any RedisArgument],
                    arguments: [group.lastDeliveredID.isEmpty ? "0-0" : group.lastDeliveredID, max(cap, 1)] as [any RedisArgument])
        })
        for (place, reply) in zip(missing, replies) {
            let count = try reply.throwingError().int()
            groups[place.stream][place.group].lag = count
            groups[place.stream][place.group].lagSource = count >= Int64(max(cap, 1)) ? .countedCapped : .counted
        }
    }
}
