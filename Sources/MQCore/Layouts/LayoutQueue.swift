import FoundationEssentials
import Glibc

/// One queue of a declared layout, with its keys: the one place that turns
/// a layout's key templates into key names.
public struct LayoutQueue: Equatable, Sendable {
    public let layout: Layout
    public let name: QueueName
    /// mqctl's own keys beside the layout's (`Keyspace.layoutQueue`).
    public let own: QueueKeys

    public init(layout: Layout, name: QueueName, keys: Keyspace) {
        self.layout = layout
        self.name = name
        self.own = keys.layoutQueue(layout.name, name)
    }

    public struct Tier: Equatable, Sendable {
        public let name: String
        public let key: String
    }

    /// The ready lists in fetch order.
    public var ready: [Tier] {
        layout.ready.map { Tier(name: $0.tier, key: expand($0.key)) }
    }

    public var delayed: Layout.ScoredRole? {
        layout.delayed.map { Layout.ScoredRole(key: expand($0.key), unit: $0.unit) }
    }

    /// The layout's retry set, else mqctl's own for this queue (ms), so
    /// that `work` always has somewhere to put a failed attempt.
    public var retry: Layout.ScoredRole {
        layout.retry.map { Layout.ScoredRole(key: expand($0.key), unit: $0.unit) }
            ?? Layout.ScoredRole(key: own.retry, unit: .milliseconds)
    }

    /// The layout's dead letters, else mqctl's own set for this queue (ms).
    public var dead: Layout.DeadRole {
        switch layout.dead {
        case .sortedSet(let role): .sortedSet(Layout.ScoredRole(key: expand(role.key), unit: role.unit))
        case .list(let key): .list(key: expand(key))
        case nil: .sortedSet(Layout.ScoredRole(key: own.dead, unit: .milliseconds))
        }
    }

    /// The sorted sets whose due members `promote` moves to ready.
    public var scheduled: [(role: ScheduledRole, set: Layout.ScoredRole)] {
        [delayed.map { (ScheduledRole.delayed, $0) }, (ScheduledRole.retry, retry)].compactMap { $0 }
    }

    public enum ScheduledRole: String, Sendable {
        case delayed, retry
    }

    /// The ready list of tier `name`.
    public func tier(_ name: String) throws -> Tier {
        guard let tier = ready.first(where: { $0.name == name }) else {
            throw MQError.layoutRefused(
                "layout '\(layout.name)' has no tier '\(name)'; its tiers are \(ready.map(\.name).joined(separator: ", "))")
        }
        return tier
    }

    /// Where promoted and replayed members go when they name no tier.
    public var defaultTier: Tier {
        (try? tier(layout.promoteTo)) ?? ready[ready.count - 1]
    }

    /// The key of the message a member names, for layouts whose members are ids.
    public func messageKey(id: String) -> String? {
        guard case .id(let template, _) = layout.member else { return nil }
        return expand(template).replacingLiteral("{id}", with: id)
    }

    /// A key the framework keeps beside its job hashes, named as it names
    /// them: the message-key template with `name` for the id (BullMQ's
    /// `bull:NAME:` + `marker`, as Queue.toKey does).
    public func siblingKey(_ name: String) -> String? {
        messageKey(id: name)
    }

    /// Every key of the layout with the Redis type it must hold.
    public var declaredKeys: [(role: String, key: String, type: String)] {
        var keys = ready.map { ("ready:\($0.name)", $0.key, "list") }
        if let delayed { keys.append(("delayed", delayed.key, "zset")) }
        keys.append(("retry", retry.key, "zset"))
        switch dead {
        case .sortedSet(let role): keys.append(("dead", role.key, "zset"))
        case .list(let key): keys.append(("dead", key, "list"))
        }
        return keys
    }

    /// Whether a role's key holds every queue's members (its template has
    /// no `{queue}` and members name their queue), as Sidekiq's sets do.
    public func isShared(_ role: LayoutRole) -> Bool {
        guard layout.fields.queue != nil else { return false }
        let template: String? = switch role {
        case .ready: nil
        case .delayed: layout.delayed?.key
        case .retry: layout.retry?.key
        case .dead: layout.dead?.key
        }
        return template.map { !$0.contains("{queue}") } ?? false
    }

    /// Whether a member read from `role` is this queue's.
    public func owns(_ message: LayoutMessage, in role: LayoutRole) -> Bool {
        !isShared(role) || message.queue == name.rawValue
    }

    func expand(_ template: String) -> String {
        template.replacingLiteral("{queue}", with: name.rawValue)
    }
}
