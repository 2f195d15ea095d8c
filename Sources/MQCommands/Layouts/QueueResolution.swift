import FoundationEssentials
import Glibc
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

    /// The queue a name means, whether or not it exists: for commands
    /// that may create it (enqueue, import, work, migrate's target).
    func queue(_ text: String) throws -> QueueRef {
        try resolve(text).ref
    }

    /// The queue a name means, which must exist unless `allowMissing`:
    /// otherwise "no queue 'odrers'" (exit 1) with the nearest known name.
    func existingQueue(_ text: String, allowMissing: Bool = false) throws -> QueueRef {
        try existingQueues([text], allowMissing: allowMissing)[0]
    }

    /// `existingQueue` for commands that read a layout queue their own way:
    /// the layout queue, or nil for one of mqctl's own.
    func existingLayoutQueue(_ text: String, allowMissing: Bool = false) throws -> LayoutQueue? {
        if case .layout(let queue) = try existingQueue(text, allowMissing: allowMissing) { return queue }
        return nil
    }

    /// Queues named on the command line that must exist, in one round trip
    /// for those not known by declaration.
    func existingQueues(_ texts: [String], allowMissing: Bool = false) throws -> [QueueRef] {
        let resolved = try texts.map(resolve)
        guard !allowMissing else { return resolved.map(\.ref) }
        let missing = try missingQueues(resolved)
        if let first = missing.first {
            throw CommandFailure.noQueue(texts[first], known: try knownQueueNames(), prefix: prefix)
        }
        return resolved.map(\.ref)
    }

    /// Named queues with, for each, nil when it exists and else the error
    /// that says so: for `check` and `stats`, which report a missing queue
    /// beside the others.
    func namedQueues(_ texts: [String]) throws -> [(ref: QueueRef, missing: CommandFailure?)] {
        let resolved = try texts.map(resolve)
        let missing = Set(try missingQueues(resolved))
        let candidates = missing.isEmpty ? [] : try knownQueueNames()
        return resolved.enumerated().map { index, item in
            (item.ref, missing.contains(index) ? CommandFailure.noQueue(texts[index], known: candidates, prefix: prefix) : nil)
        }
    }

    /// What a name means, and whether it is known without asking the
    /// server further: true for queues a config file or a layout's list
    /// declares, and for those found by their keys on the way.
    private func resolve(_ text: String) throws -> (ref: QueueRef, known: Bool) {
        let broker = try broker()
        if let chosen = layoutOption {
            if chosen == "native" { return (.native(try QueueName(text)), false) }
            let layout = try layout(named: chosen)
            if let match = try keyMatch(text, in: [layout]) { return (match, true) }
            let name = try QueueName(text)
            if case .fixed(let names) = layout.queues {
                guard names.contains(name) else {
                    throw UsageError("layout '\(layout.name)' has no queue '\(text)'; its queues are \(names.map(\.rawValue).joined(separator: ", "))")
                }
                return (.layout(broker.layoutQueue(layout, name)), true)
            }
            return (.layout(broker.layoutQueue(layout, name)), false)
        }
        let file = try layoutFile()
        if let assigned = file.assignments[text] {
            let ref: QueueRef = assigned == "native"
                ? .native(try QueueName(text)) : .layout(broker.layoutQueue(try layout(named: assigned), try QueueName(text)))
            return (ref, true)
        }
        let listing = file.layouts.filter { if case .fixed(let names) = $0.queues { names.contains { $0.rawValue == text } } else { false } }
        if listing.count > 1 {
            throw UsageError("'\(text)' is a queue of layouts \(listing.map(\.name).joined(separator: " and ")); choose one with --layout")
        }
        if let layout = listing.first { return (.layout(broker.layoutQueue(layout, try QueueName(text))), true) }
        if let match = try keyMatch(text, in: file.layouts) { return (match, true) }
        if let name = try? QueueName(text), let layout = try foundByKeys(name, in: file.layouts) {
            return (.layout(broker.layoutQueue(layout, name)), true)
        }
        return (.native(try QueueName(text)), false)
    }

    /// The indexes of the queues that do not exist: a native queue exists
    /// when it is registered or has any of its own keys, a layout queue
    /// found by pattern or set when it has any of its keys or is a member
    /// of the set. One round trip.
    private func missingQueues(_ resolved: [(ref: QueueRef, known: Bool)]) throws -> [Int] {
        let broker = try broker()
        var asked: [(index: Int, commands: [RedisCommand])] = []
        for (index, item) in resolved.enumerated() where !item.known {
            switch item.ref {
            case .native(let name):
                let k = broker.keys.queue(name)
                asked.append((index, [RedisCommand("SISMEMBER", broker.keys.queues, name.rawValue),
                                      RedisCommand(["EXISTS"] + k.readyTiers + [k.delayed, k.retry, k.inflight, k.dead, k.config])]))
            case .layout(let queue):
                // Only keys of this queue's own say it exists (a set all
                // queues share does not); one EXISTS each, as a layout's
                // keys need not share a cluster slot.
                var commands = queue.layout.ownKeyTemplates.map {
                    RedisCommand("EXISTS", $0.replacingLiteral("{queue}", with: queue.name.rawValue))
                }
                if case .set(let key, let prefix) = queue.layout.queues {
                    commands.append(RedisCommand("SISMEMBER", key, prefix + queue.name.rawValue))
                }
                if !commands.isEmpty { asked.append((index, commands)) }
            }
        }
        guard !asked.isEmpty else { return [] }
        var replies = try broker.connection.pipeline(asked.flatMap(\.commands)).makeIterator()
        var missing: [Int] = []
        for item in asked {
            // A reply that is an error (a registry of another type) does not
            // make the queue missing: the command itself reports it.
            let found = item.commands.map { _ in (try? replies.next()!.throwingError().int()) ?? 1 }
            if found.allSatisfy({ $0 == 0 }) { missing.append(item.index) }
        }
        return missing
    }

    /// Every queue name a did-you-mean hint may offer.
    private func knownQueueNames() throws -> [String] {
        // A hint must not fail the command: a user whose ACL cannot read
        // every layout's keys still gets "no queue 'x'".
        Array(Set(((try? queues([])) ?? []).map(\.name.rawValue))).sorted()
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
            let own = layout.ownKeyTemplates.map { $0.replacingLiteral("{queue}", with: name.rawValue) }
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

    /// The queues named, which must exist unless `allowMissing`, or when
    /// none: every queue of `--layout`, else mqctl's own and every declared
    /// layout's.
    func queues(_ texts: [String], allowMissing: Bool = false) throws -> [QueueRef] {
        guard texts.isEmpty else { return try existingQueues(texts, allowMissing: allowMissing) }
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

    /// The layout queue a name means, or nil for one of mqctl's own,
    /// whether or not it exists (see `existingLayoutQueue`).
    func layoutQueue(_ text: String) throws -> LayoutQueue? {
        if case .layout(let queue) = try queue(text) { return queue }
        return nil
    }
}

extension CommandFailure {
    /// "no queue 'odrers'", with the nearest known name as the hint, else
    /// the names there are.
    static func noQueue(_ text: String, known: [String], prefix: String) -> CommandFailure {
        let hint: String
        if let near = DidYouMean.nearest(text, among: known) {
            hint = "did you mean '\(near)'?"
        } else if known.isEmpty {
            hint = "there are no queues under the prefix '\(prefix)' here; check --url and --prefix"
        } else {
            let shown = known.prefix(10).joined(separator: ", ")
            hint = "the queues are \(shown)\(known.count > 10 ? " and \(known.count - 10) more" : "")"
        }
        return CommandFailure("no queue '\(text)'", hint: hint)
    }
}
