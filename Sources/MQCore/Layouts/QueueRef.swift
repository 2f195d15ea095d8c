/// A queue as a command names it: one of mqctl's own, or one of a
/// declared layout.
public enum QueueRef: Equatable, Sendable {
    case native(QueueName)
    case layout(LayoutQueue)

    public var name: QueueName {
        switch self {
        case .native(let name): name
        case .layout(let queue): queue.name
        }
    }

    /// `native`, or the layout's name.
    public var layoutName: String {
        switch self {
        case .native: "native"
        case .layout(let queue): queue.layout.name
        }
    }
}

extension Broker {
    /// Stats of native and layout queues together, in the order given,
    /// in a constant number of round trips.
    public func stats(_ queues: [QueueRef]) throws -> [QueueStats] {
        let native = try stats(queues.compactMap { if case .native(let name) = $0 { name } else { nil } }, allWhenEmpty: false)
        let layout = try stats(queues.compactMap { if case .layout(let queue) = $0 { queue } else { nil } })
        var nativeIterator = native.makeIterator(), layoutIterator = layout.makeIterator()
        return queues.compactMap {
            if case .native = $0 { nativeIterator.next() } else { layoutIterator.next() }
        }
    }
}
