import Foundation
import MQCore
import MQRedis

/// Which queue a name on the command line means: a queue of a declared
/// layout (by `--layout`, the config file's `[queues]`, a layout's list of
/// names, or one of its keys written out) or one of mqctl's own.
extension CommandContext {
    /// The config file, read once per command.
    func layoutFile() throws -> LayoutFile {
        if let loadedLayouts { return loadedLayouts }
        let file = try LayoutFile.load(option: configOption, environment: environment)
        loadedLayouts = file
        return file
    }

    /// A declared layout by name.
    func layout(named name: String) throws -> Layout {
        let file = try layoutFile()
        guard let layout = file.layouts.first(where: { $0.name == name }) else {
            let known = (["native"] + file.layouts.map(\.name)).joined(separator: ", ")
            throw UsageError("no layout '\(name)'\(file.path.map { " in \($0)" } ?? ""); the layouts are \(known)")
        }
        return layout
    }

    func queue(_ text: String) throws -> QueueRef {
        let broker = try broker()
        if let chosen = layoutOption {
            if chosen == "native" { return .native(try QueueName(text)) }
            let layout = try layout(named: chosen)
            if let match = try keyMatch(text, in: [layout]) { return match }
            let name = try QueueName(text)
            if case .fixed(let names) = layout.queues, !names.contains(name) {
                throw UsageError("layout '\(layout.name)' has no queue '\(text)'; its queues are \(names.map(\.rawValue).joined(separator: ", "))")
            }
            return .layout(broker.layoutQueue(layout, name))
        }
        let file = try layoutFile()
        if let assigned = file.assignments[text] {
            return assigned == "native" ? .native(try QueueName(text)) : .layout(broker.layoutQueue(try layout(named: assigned), try QueueName(text)))
        }
        let listing = file.layouts.filter { if case .fixed(let names) = $0.queues { names.contains { $0.rawValue == text } } else { false } }
        if listing.count > 1 {
            throw UsageError("'\(text)' is a queue of layouts \(listing.map(\.name).joined(separator: " and ")); choose one with --layout")
        }
        if let layout = listing.first { return .layout(broker.layoutQueue(layout, try QueueName(text))) }
        if let match = try keyMatch(text, in: file.layouts) { return match }
        if let name = try? QueueName(text), let layout = try foundByKeys(name, in: file.layouts) {
            return .layout(broker.layoutQueue(layout, name))
        }
        return .native(try QueueName(text))
    }

    /// The layout, among those whose queues are found on the server (by a
    /// key pattern or a set), that has a queue `name` now, by its set or
    /// by any key of its own (a queue whose ready list ran empty is still
    /// found by its retry or dead key): one round trip.
    private func foundByKeys(_ name: QueueName, in layouts: [Layout]) throws -> Layout? {
        let broker = try broker()
        var found: [(layout: Layout, command: RedisCommand)] = []
        for layout in layouts {
            if case .fixed = layout.queues { continue }
            if case .set(let key, let prefix) = layout.queues { found.append((layout, RedisCommand("SISMEMBER", key, prefix + name.rawValue))) }
            let own = layout.ownKeyTemplates.map { $0.replacingOccurrences(of: "{queue}", with: name.rawValue) }
            if !own.isEmpty { found.append((layout, RedisCommand(["EXISTS"] + own))) }
        }
        guard !found.isEmpty else { return nil }
        let replies = try broker.connection.pipeline(found.map(\.command) + [RedisCommand("SISMEMBER", broker.keys.queues, name.rawValue)])
        var matches: [Layout] = []
        for (item, reply) in zip(found, replies) where (try? reply.throwingError().int()) ?? 0 > 0 && !matches.contains(where: { $0.name == item.layout.name }) {
            matches.append(item.layout)
        }
        let native = (try? replies.last!.throwingError().int()) ?? 0 > 0
        if matches.count + (native ? 1 : 0) > 1 {
            let owners = (native ? ["mqctl's own (native)"] : []) + matches.map(\.name)
            throw UsageError("'\(name)' is a queue of \(owners.joined(separator: " and ")); choose one with --layout")
        }
        return matches.first
    }

    /// The layout queue one of whose keys is `key` (for names like
    /// `courier:queue:normal`), among layouts with a fixed list of names.
    private func keyMatch(_ key: String, in layouts: [Layout]) throws -> QueueRef? {
        let broker = try broker()
        for layout in layouts {
            guard case .fixed(let names) = layout.queues else { continue }
            for name in names {
                let queue = broker.layoutQueue(layout, name)
                if queue.declaredKeys.contains(where: { $0.key == key }) { return .layout(queue) }
            }
        }
        return nil
    }

    /// The queues named, or when none: every queue of `--layout`, else
    /// mqctl's own and every declared layout's.
    func queues(_ texts: [String]) throws -> [QueueRef] {
        guard texts.isEmpty else { return try texts.map(queue) }
        let broker = try broker()
        if let chosen = layoutOption {
            if chosen == "native" { return try broker.queueNames().map(QueueRef.native) }
            let layout = try layout(named: chosen)
            return try broker.queueNames(of: layout).map { .layout(broker.layoutQueue(layout, $0)) }
        }
        var refs = try broker.queueNames().map(QueueRef.native)
        for layout in try layoutFile().layouts {
            refs += try broker.queueNames(of: layout).map { .layout(broker.layoutQueue(layout, $0)) }
        }
        return refs
    }

    /// A queue that must be one of a layout, or nil for a native one.
    func layoutQueue(_ text: String) throws -> LayoutQueue? {
        if case .layout(let queue) = try queue(text) { return queue }
        return nil
    }
}
