import FoundationEssentials
import Glibc
import MQCore
import MQParsing

/// The config file: layouts (`[layouts.NAME]`) and which layout a queue
/// name means (`[queues] NAME = "LAYOUT"`); its contexts are ContextFile's. TOML, read with TOMLReader; a
/// mistake is reported with the file, the line and the key.
public struct LayoutFile: Sendable {
    public var path: String?
    public var layouts: [Layout] = []
    /// Queue name → layout name, from `[queues]`.
    public var assignments: [String: String] = [:]
    /// The built-in layouts the file did not replace.
    public var builtinNames: Set<String> = []
    /// `[check]`: the thresholds `check` and `top` judge queues by.
    var checkThresholds = QueueThresholds()

    public init() {}

    /// The built-in layouts, then the file's: a layout the file declares
    /// under a built-in's name replaces it.
    static func withBuiltins(_ file: LayoutFile) -> LayoutFile {
        // The built-ins are part of the binary and checked by the tests.
        let builtins = try! LayoutFile(text: BuiltinLayouts.toml, path: "built-in layouts")
        var merged = file
        let declared = Set(file.layouts.map(\.name))
        let kept = builtins.layouts.filter { !declared.contains($0.name) }
        merged.layouts = kept + file.layouts
        merged.builtinNames = Set(kept.map(\.name))
        return merged
    }

    /// The config file: the one `--config` or `$MQCTL_CONFIG` names
    /// (`named`: it must exist), else `${XDG_CONFIG_HOME:-~/.config}/mqctl/config.toml`;
    /// nil when there is no home to find it in. Only the environment given
    /// counts: a command run in-process (tests, the REPL) sees no other.
    static func location(option: String?, environment: [String: String]) -> (path: String, named: Bool)? {
        if let path = option ?? environment["MQCTL_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) { return (path, true) }
        return (environment["XDG_CONFIG_HOME"] ?? environment["HOME"].map { $0 + "/.config" }).map { ($0 + "/mqctl/config.toml", false) }
    }

    /// The layouts of the config file (which must exist when named), with
    /// the built-ins.
    public static func load(option: String?, environment: [String: String]) throws -> LayoutFile {
        guard let location = location(option: option, environment: environment) else { return withBuiltins(LayoutFile()) }
        guard let data = FileManager.default.contents(atPath: location.path) else {
            if location.named { throw UsageError("cannot read the config file '\(location.path)'") }
            return withBuiltins(LayoutFile())
        }
        return withBuiltins(try LayoutFile(text: String(decoding: data, as: UTF8.self), path: location.path))
    }

    public init(text: String, path: String?) throws {
        self.path = path
        let root = try Self.parse(text, path: path ?? "config")
        let reader = Reader(path: path ?? "config", root: root)
        // Contexts (`mqctl context`) are read by ContextFile.
        for key in root.keys where !["layouts", "queues", "check", "contexts", "current_context"].contains(key) {
            throw reader.error(key, "unknown section; the file has [layouts.NAME] tables, a [queues] table, a [check] table, [contexts.NAME] tables and current_context")
        }
        if let section = root["check"] { checkThresholds = try reader.thresholds(section, "check") }
        if let section = root["layouts"] {
            let table = try reader.table(section, "layouts")
            for name in table.keys {
                layouts.append(try reader.layout(name, try reader.table(table[name]!, "layouts.\(name)")))
            }
        }
        if let section = root["queues"] {
            let table = try reader.table(section, "queues")
            for name in table.keys {
                let layout = try reader.string(table[name]!, "queues.\(name)")
                guard layout == "native" || layouts.contains(where: { $0.name == layout }) else {
                    throw reader.error("queues.\(name)", "no layout '\(layout)' is declared")
                }
                assignments[name] = layout
            }
        }
    }

    /// The document, or a usage error naming the file, line and column.
    static func parse(_ text: String, path: String) throws -> TOMLTable {
        do {
            return try TOMLReader.parse(text)
        } catch {
            throw UsageError("\(path):\(error.line):\(error.column): \(error.message)")
        }
    }

    /// Reads values, naming the key and its line in every error.
    struct Reader {
        let path: String
        let root: TOMLTable

        func error(_ key: String, _ message: String) -> UsageError {
            UsageError("\(path):\(line(of: key)): \(key): \(message)")
        }

        /// The line of the value `key` names (`layouts.x.ready`), or of the
        /// nearest table above it that the document has.
        func line(of key: String) -> Int {
            var parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            var table = root, line = 1
            while !parts.isEmpty {
                // The longest run of parts that is a key here: a queue's name may hold dots.
                guard let count = (1...parts.count).reversed().first(where: { table[parts[0..<$0].joined(separator: ".")] != nil }),
                      let value = table[parts[0..<count].joined(separator: ".")] else { break }
                line = value.line
                parts.removeFirst(count)
                guard let next = value.table else { break }
                table = next
            }
            return line
        }

        func table(_ value: TOMLValue, _ key: String) throws -> TOMLTable {
            guard let table = value.table else { throw error(key, "must be a table") }
            return table
        }

        func string(_ value: TOMLValue, _ key: String) throws -> String {
            guard let text = value.string else { throw error(key, "must be a string") }
            return text
        }

        func choice<T: RawRepresentable & CaseIterable>(_ value: TOMLValue, _ key: String) throws -> T where T.RawValue == String {
            let text = try string(value, key)
            guard let choice = T(rawValue: text) else {
                throw error(key, "is '\(text)'; use one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return choice
        }

        func only(_ table: TOMLTable, _ key: String, _ allowed: [String]) throws {
            for name in table.keys where !allowed.contains(name) {
                throw error("\(key).\(name)", "unknown key; expected one of \(allowed.joined(separator: ", "))")
            }
        }

        func layout(_ name: String, _ table: TOMLTable) throws -> Layout {
            let key = "layouts.\(name)"
            guard name != "native", (try? QueueName(name)) != nil else {
                throw error(key, "a layout's name uses A-Z a-z 0-9 . _ - and is not 'native'")
            }
            try only(table, key, ["description", "queues", "ready", "push", "pop", "delayed", "retry", "dead", "member",
                                  "fields", "capacity", "max_attempts", "promote_to", "replay", "enqueue_defaults",
                                  "ready_fields", "replay_fields", "dead_fields", "error_source", "refuse", "enqueue_requires", "protocol"])
            guard let readyValue = table["ready"], let readyArray = readyValue.array, !readyArray.isEmpty else {
                throw error("\(key).ready", "is missing: give the ready lists, e.g. ready = [{ tier = \"normal\", key = \"jobs:{queue}\" }]")
            }
            var ready: [Layout.ReadyList] = []
            for (index, item) in readyArray.enumerated() {
                let itemKey = "\(key).ready"
                if let text = item.string {
                    ready.append(Layout.ReadyList(tier: readyArray.count == 1 ? "normal" : "tier\(index + 1)", key: text))
                    continue
                }
                let entry = try self.table(item, itemKey)
                try only(entry, itemKey, ["tier", "key"])
                guard let keyValue = entry["key"] else { throw error(itemKey, "entry \(index + 1) has no key") }
                ready.append(Layout.ReadyList(tier: try entry["tier"].map { try string($0, "\(itemKey).tier") } ?? "tier\(index + 1)",
                                              key: try string(keyValue, "\(itemKey).key")))
            }
            var layout = Layout(name: name, queues: try queues(table["queues"], "\(key).queues"), ready: ready)
            if let value = table["description"] { layout.description = try string(value, "\(key).description") }
            if let excluded = table["queues"]?.table?["role_suffixes"] {
                guard let list = excluded.array else { throw error("\(key).queues.role_suffixes", "must be a list of strings") }
                layout.queueSuffixes = try list.map { try string($0, "\(key).queues.role_suffixes") }
            }
            // No default: a guess the wrong way round would run a queue newest first.
            guard let push = table["push"], let pop = table["pop"] else {
                throw error(key, "give push and pop: the list ends producers push to and consumers pop from (e.g. push = \"left\", pop = \"right\" for LPUSH and BRPOP)")
            }
            layout.push = try choice(push, "\(key).push")
            layout.pop = try choice(pop, "\(key).pop")
            if let value = table["delayed"] { layout.delayed = try scored(value, "\(key).delayed") }
            if let value = table["retry"] { layout.retry = try scored(value, "\(key).retry") }
            if let value = table["dead"] { layout.dead = try dead(value, "\(key).dead") }
            if let value = table["member"] { layout.member = try member(value, "\(key).member") }
            if let value = table["fields"] { layout.fields = try fields(value, "\(key).fields") }
            if let value = table["replay"] {
                let entry = try self.table(value, "\(key).replay")
                try only(entry, "\(key).replay", ["attempts", "stamp_enqueued_at", "new_id_path"])
                if let path = entry["new_id_path"] { layout.replay.newIDPath = try string(path, "\(key).replay.new_id_path") }
                if let attempts = entry["attempts"] { layout.replay.attempts = try choice(attempts, "\(key).replay.attempts") }
                if let stamp = entry["stamp_enqueued_at"] {
                    guard let flag = stamp.boolean else { throw error("\(key).replay.stamp_enqueued_at", "must be true or false") }
                    layout.replay.stampEnqueuedAt = flag
                }
            }
            if let value = table["protocol"] {
                layout.writeProtocol = try choice(value, "\(key).protocol")
                if layout.writeProtocol == .celery {
                    guard layout.member == .json else { throw error("\(key).protocol", "Celery's envelopes are JSON members: member = \"json\"") }
                } else if case .id(let template, .hash) = layout.member, template.hasSuffix("{id}") {
                    // RQ and BullMQ name their job hashes by id.
                } else {
                    throw error("\(key).protocol", "RQ's and BullMQ's protocols need job hashes, e.g. member = { id = \"bull:{queue}:{id}\", store = \"hash\", payload = \"data\" }")
                }
            }
            if let value = table["enqueue_requires"] {
                guard let list = value.array else { throw error("\(key).enqueue_requires", "must be a list of field paths") }
                layout.enqueueRequired = try list.map { try string($0, "\(key).enqueue_requires") }
            }
            if let value = table["enqueue_defaults"] {
                let entry = try self.table(value, "\(key).enqueue_defaults")
                for field in entry.keys.sorted() {
                    layout.enqueueDefaults.append(Layout.FieldValue(field: field, value: try defaultValue(entry[field]!, "\(key).enqueue_defaults.\(field)")))
                }
            }
            for (name, keyPath) in [("ready_fields", \Layout.readyFields), ("replay_fields", \Layout.replayFields), ("dead_fields", \Layout.deadFields)] {
                guard let value = table[name] else { continue }
                let entry = try self.table(value, "\(key).\(name)")
                layout[keyPath: keyPath] = try entry.keys.sorted().map {
                    Layout.FieldValue(field: $0, value: try defaultValue(entry[$0]!, "\(key).\(name).\($0)"))
                }
            }
            if let value = table["refuse"] {
                let entry = try self.table(value, "\(key).refuse")
                try only(entry, "\(key).refuse", ["delayed", "retry", "dead", "enqueue", "work", "moves"])
                for action in entry.keys { layout.refusals[action] = try string(entry[action]!, "\(key).refuse.\(action)") }
            }
            if let value = table["error_source"] {
                let entry = try self.table(value, "\(key).error_source")
                try only(entry, "\(key).error_source", ["key", "field", "encoding"])
                guard let source = entry["key"], let field = entry["field"] else { throw error("\(key).error_source", "needs key and field") }
                layout.errorSource = Layout.ErrorSource(
                    key: try string(source, "\(key).error_source.key"), field: try string(field, "\(key).error_source.field"),
                    encoding: try entry["encoding"].map { try choice($0, "\(key).error_source.encoding") } ?? .plain)
            }
            if case .sortedSet? = layout.dead, let dead = table["dead"]?.table {
                if let expires = dead["score_is_expiry"] {
                    guard let flag = expires.boolean else { throw error("\(key).dead.score_is_expiry", "must be true or false") }
                    layout.deadScoreIsExpiry = flag
                }
                if let max = dead["max"] {
                    guard let count = max.integer, count > 0 else { throw error("\(key).dead.max", "must be a whole number above 0") }
                    layout.deadMax = Int64(count)
                }
                if let age = dead["max_age"] {
                    do { layout.deadMaxAge = try DurationValue(parsing: try string(age, "\(key).dead.max_age")).milliseconds } catch {
                        throw self.error("\(key).dead.max_age", "\(error)")
                    }
                }
            }
            if let value = table["capacity"] {
                guard let capacity = value.integer, capacity > 0 else { throw error("\(key).capacity", "must be a whole number above 0") }
                layout.capacity = Int64(capacity)
            }
            if let value = table["max_attempts"] {
                guard let attempts = value.integer, attempts > 0, attempts < 1_000_000 else {
                    throw error("\(key).max_attempts", "must be a whole number from 1 to 999999")
                }
                layout.maxAttempts = Int64(attempts)
            }
            if let value = table["promote_to"] {
                let tier = try string(value, "\(key).promote_to")
                guard layout.tier(named: tier) != nil else {
                    throw error("\(key).promote_to", "names no tier; the tiers are \(ready.map(\.tier).joined(separator: ", "))")
                }
                layout.promoteTo = tier
            } else {
                layout.promoteTo = ready[ready.count - 1].tier
            }
            if Set(ready.map(\.tier)).count != ready.count { throw error("\(key).ready", "two ready lists have the same tier name") }
            if case .pattern(let pattern) = layout.queues, !pattern.contains("{queue}") {
                throw error("\(key).queues", "a pattern needs the {queue} placeholder")
            }
            return layout
        }

        func queues(_ value: TOMLValue?, _ key: String) throws -> Layout.QueueNaming {
            guard let value else { throw error(key, "is missing: a list of names, { pattern = \"...{queue}...\" } or { set = \"KEY\" }") }
            if let array = value.array {
                return .fixed(try array.map { item in
                    let text = try string(item, key)
                    do { return try QueueName(text) } catch { throw self.error(key, "\(error)") }
                })
            }
            let table = try self.table(value, key)
            try only(table, key, ["pattern", "set", "prefix", "role_suffixes"])
            if let pattern = table["pattern"] { return .pattern(try string(pattern, "\(key).pattern")) }
            if let set = table["set"] {
                return .set(key: try string(set, "\(key).set"), memberPrefix: try table["prefix"].map { try string($0, "\(key).prefix") } ?? "")
            }
            throw error(key, "give a list of names, a pattern or a set")
        }

        func scored(_ value: TOMLValue, _ key: String) throws -> Layout.ScoredRole {
            if let text = value.string { return Layout.ScoredRole(key: text, unit: .milliseconds) }
            let table = try self.table(value, key)
            try only(table, key, ["key", "score"])
            guard let keyValue = table["key"] else { throw error(key, "has no key") }
            return Layout.ScoredRole(key: try string(keyValue, "\(key).key"),
                                     unit: try table["score"].map { try choice($0, "\(key).score") } ?? .milliseconds)
        }

        func dead(_ value: TOMLValue, _ key: String) throws -> Layout.DeadRole {
            if let text = value.string { return .sortedSet(Layout.ScoredRole(key: text, unit: .milliseconds)) }
            let table = try self.table(value, key)
            try only(table, key, ["key", "type", "score", "max", "max_age", "score_is_expiry"])
            guard let keyValue = table["key"] else { throw error(key, "has no key") }
            let deadKey = try string(keyValue, "\(key).key")
            switch try table["type"].map({ try string($0, "\(key).type") }) ?? "zset" {
            case "zset", "sorted set":
                return .sortedSet(Layout.ScoredRole(key: deadKey, unit: try table["score"].map { try choice($0, "\(key).score") } ?? .milliseconds))
            case "list":
                return .list(key: deadKey)
            case let other:
                throw error("\(key).type", "is '\(other)'; use zset or list")
            }
        }

        func member(_ value: TOMLValue, _ key: String) throws -> Layout.MemberForm {
            if let text = value.string {
                switch text {
                case "json": return .json
                case "bytes": return .bytes
                default: throw error(key, "is '\(text)'; use json, bytes or { id = \"KEY:{id}\", store = \"hash\" }")
                }
            }
            let table = try self.table(value, key)
            try only(table, key, ["id", "store", "payload", "suffix", "protobuf"])
            if try table["store"].map({ try string($0, "\(key).store") }) == "role_hash" {
                guard let suffix = table["suffix"] else { throw error(key, "a role_hash store needs suffix = \".msgs\" (the hash is the role's key plus it)") }
                return .id(key: "", store: .roleHash(suffix: try string(suffix, "\(key).suffix")))
            }
            guard let template = table["id"] else { throw error(key, "needs id = \"KEY TEMPLATE with {id}\"") }
            let messageKey = try string(template, "\(key).id")
            guard messageKey.contains("{id}") else { throw error("\(key).id", "needs the {id} placeholder") }
            switch try table["store"].map({ try string($0, "\(key).store") }) ?? "hash" {
            case "hash":
                var protobuf: [Int: String] = [:]
                if let value = table["protobuf"] {
                    let names = try self.table(value, "\(key).protobuf")
                    for number in names.keys {
                        guard let field = Int(number), field > 0 else { throw error("\(key).protobuf.\(number)", "a field number must be a whole number above 0") }
                        protobuf[field] = try string(names[number]!, "\(key).protobuf.\(number)")
                    }
                }
                return .id(key: messageKey, store: .hash(payloadField: try table["payload"].map { try string($0, "\(key).payload") } ?? "data",
                                                          protobuf: protobuf))
            case "json": return .id(key: messageKey, store: .jsonString)
            case let other: throw error("\(key).store", "is '\(other)'; use hash, json or role_hash")
            }
        }

        /// An `enqueue_defaults` value: `$hex24`, `$queue`, `$now:UNIT`, or
        /// a string, number or boolean written as JSON.
        func defaultValue(_ value: TOMLValue, _ key: String) throws -> Layout.DefaultValue {
            if let text = value.string {
                switch text {
                case _ where text.hasPrefix("$json:"):
                    // JSON text as it is: `$json:{}`, `$json:[]`.
                    guard (try? JSONReader.value(Array(text.dropFirst(6).utf8))) != nil else {
                        throw error(key, "'\(text)': $json: needs JSON after it")
                    }
                    return .json(String(text.dropFirst(6)))
                case "$hex24": return .hexID
                case "$uuid": return .uuid
                case "$queue": return .queueName
                case _ where text.hasPrefix("$now:"):
                    guard let unit = Layout.TimeUnit(rawValue: String(text.dropFirst(5))) else {
                        throw error(key, "'\(text)': use $now:UNIT with a unit of \(Layout.TimeUnit.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return .now(unit)
                default: return .json(JSONValue.string(text).text)
                }
            }
            if let flag = value.boolean { return .json(flag ? "true" : "false") }
            if let number = value.integer { return .json(String(number)) }
            if let number = value.float { return .json(String(number)) }
            throw error(key, "must be a string, a number or true/false")
        }

        /// `[check]`: `warn_NAME` and `max_NAME` for each of check's
        /// --warn-NAME and --max-NAME queue options (`fail_rate` for
        /// --max-fail-rate); a count or Nagios range, a duration in quotes.
        func thresholds(_ value: TOMLValue, _ key: String) throws -> QueueThresholds {
            let table = try self.table(value, key)
            let names = (QueueThresholds.countNames.map(\.name) + QueueThresholds.durationNames.map(\.name))
            try only(table, key, names.flatMap { ["warn_\($0)", "max_\($0)"] })
            var thresholds = QueueThresholds()
            for (name, path) in QueueThresholds.countNames {
                thresholds[keyPath: path] = QueueThresholds.Counts(warning: try range(table, key, "warn_\(name)", percent: name == "usage"),
                                                                   critical: try range(table, key, "max_\(name)", percent: name == "usage"))
            }
            for (name, path) in QueueThresholds.durationNames {
                thresholds[keyPath: path] = QueueThresholds.Durations(warning: try duration(table, key, "warn_\(name)"),
                                                                      critical: try duration(table, key, "max_\(name)"))
            }
            if let reason = thresholds.misordering(spell: { "\($0)_\($1)" }) { throw error(key, reason) }
            return thresholds
        }

        /// A `[check]` count: a number, or a Nagios range in quotes. (Plain
        /// methods with a do/catch into a local: the nested-function form
        /// crashed swiftc 6.3.1's optimizer in release builds.)
        private func range(_ table: TOMLTable, _ key: String, _ field: String, percent: Bool) throws -> ThresholdRange? {
            guard let value = table[field] else { return nil }
            let text: String
            if let number = value.integer {
                text = String(number)
            } else if let quoted = value.string {
                text = quoted
            } else {
                throw error("\(key).\(field)", "must be a number, or a range in quotes (\"10:\", \"@5:20\")")
            }
            let parsed: ThresholdRange
            do { parsed = try ThresholdRange(parsing: text, percent: percent) } catch let problem { throw error("\(key).\(field)", "\(problem)") }
            return parsed
        }

        /// A `[check]` duration, in quotes.
        private func duration(_ table: TOMLTable, _ key: String, _ field: String) throws -> DurationValue? {
            guard let value = table[field] else { return nil }
            let text = try string(value, "\(key).\(field)")
            let parsed: DurationValue
            do { parsed = try DurationValue(parsing: text) } catch let problem { throw error("\(key).\(field)", "\(problem)") }
            return parsed
        }

        func fields(_ value: TOMLValue, _ key: String) throws -> Layout.Fields {
            let table = try self.table(value, key)
            try only(table, key, ["id", "attempts", "error", "error_class", "enqueued_at", "failed_at", "tier", "queue"])
            func text(_ name: String) throws -> String? { try table[name].map { try string($0, "\(key).\(name)") } }
            func time(_ name: String) throws -> Layout.TimeField? {
                guard let value = table[name] else { return nil }
                if let path = value.string { return Layout.TimeField(path: path, unit: .milliseconds) }
                let entry = try self.table(value, "\(key).\(name)")
                try only(entry, "\(key).\(name)", ["path", "unit"])
                guard let path = entry["path"] else { throw error("\(key).\(name)", "has no path") }
                return Layout.TimeField(path: try string(path, "\(key).\(name).path"),
                                        unit: try entry["unit"].map { try choice($0, "\(key).\(name).unit") } ?? .milliseconds)
            }
            return Layout.Fields(id: try text("id"), attempts: try text("attempts"), error: try text("error"),
                                 enqueuedAt: try time("enqueued_at"), failedAt: try time("failed_at"), tier: try text("tier"),
                                 queue: try text("queue"), errorClass: try text("error_class"))
        }
    }
}
