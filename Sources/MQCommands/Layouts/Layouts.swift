import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Layouts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "layouts",
            abstract: "List, show and check the queue layouts of the config file.",
            discussion: """
                A layout says where another program's queues keep their messages (ready lists, \
                delayed, retry and dead sets, their score units and member fields), so every \
                command works on those keys as they are. `native` is mqctl's own keyspace.

                Example: mqctl layouts check openpenpal
                """,
            subcommands: [List.self, Show.self, Check.self])
    }
}

extension MQCtl.Layouts {
    struct List: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the layouts: native and those of the config file.",
            discussion: "Example: mqctl layouts list --config ./mqctl.toml")

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        func run(in context: CommandContext) throws {
            let file = try context.layoutFile()
            try context.output { renderer in
                renderer.beginList(key: "layouts", columns: [Column("name"), Column("queues"), Column("ready"), Column("roles"),
                                                             Column("member"), Column("source")])
                renderer.row(["name": .string("native"), "queues": .string("set \(context.prefix):queues"),
                              "ready": .string("express,urgent,normal"), "roles": .string("delayed,retry,inflight,dead"),
                              "member": .string("id + envelope hash"), "source": .string("built in")])
                for layout in file.layouts {
                    renderer.row(LayoutRecords.summary(layout, source: file.builtinNames.contains(layout.name) ? "built in" : file.path ?? ""))
                }
                renderer.endList()
            }
        }
    }

    struct Show: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one layout in full: keys, score units, member form and fields.",
            discussion: "Example: mqctl layouts show openpenpal -o json")

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The layout.") var name: String

        func run(in context: CommandContext) throws {
            guard name != "native" else {
                throw UsageError("native is mqctl's own keyspace: see mqctl(7) or DESIGN.md §2 for its keys")
            }
            let layout = try context.layout(named: name)
            try context.output { $0.single(LayoutRecords.detail(layout)) }
        }
    }

    struct Check: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check a layout against the server: each role's keys, their types, and whether members parse.",
            discussion: """
                For every queue of the layout and every role: whether the key exists, holds the \
                declared type, how many members it has, and how many of the first 100 (at the \
                end they leave from) cannot be read as the layout says. Exits 0 when all is as \
                declared, 65 when a key has the wrong type or a member does not parse, 1 when the \
                layout has no queue at all.

                Example: mqctl layouts check openpenpal
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "The layout (default: every layout of the config file).") var name: String?

        func run(in context: CommandContext) throws {
            let broker = try context.broker()
            let file = try context.layoutFile()
            let layouts = try name.map { [try context.layout(named: $0)] } ?? file.layouts
            var rows: [LayoutCheck.Row] = []
            for layout in layouts {
                let names = try broker.queueNames(of: layout)
                // Unnamed, a built-in layout is checked where the server has its queues.
                if names.isEmpty, name == nil, file.builtinNames.contains(layout.name) { continue }
                guard !names.isEmpty else { throw CommandFailure("layout '\(layout.name)' has no queue on this server") }
                for queue in names {
                    rows += try LayoutCheck.rows(broker.layoutQueue(layout, queue), broker)
                }
            }
            guard !rows.isEmpty else { throw CommandFailure("no layout has a queue on this server; the config file declares none") }
            try context.output { renderer in
                renderer.beginList(key: "roles", columns: [Column("layout"), Column("queue"), Column("role"), Column("key"), Column("type"),
                                                           Column("count", rightAligned: true), Column("unreadable", rightAligned: true),
                                                           Column("status", isStatus: true)])
                for row in rows { renderer.row(row.record) }
                renderer.endList()
            }
            if let bad = rows.first(where: { !$0.ok }) {
                throw MQError.unreadableMember(key: bad.key, reason: bad.problem ?? "it holds a \(bad.type)")
            }
        }
    }
}

/// `layouts check`: one row per role of a queue.
enum LayoutCheck {
    struct Row {
        var layout: String, queue: String, role: String, key: String, type: String
        var expected: String
        var count: Int64
        var unreadable: Int
        var problem: String?

        var ok: Bool { (type == "none" || type == expected) && unreadable == 0 }

        var record: Record {
            let status = type != "none" && type != expected ? "WRONG TYPE (expected \(expected))"
                : unreadable > 0 ? "UNREADABLE" : type == "none" ? "absent" : "ok"
            return ["layout": .string(layout), "queue": .string(queue), "role": .string(role), "key": .string(key),
                    "type": .string(type), "count": .int(count), "unreadable": .int(Int64(unreadable)),
                    "status": .string(status), "problem": problem.map { .string($0) } ?? .null]
        }
    }

    static func rows(_ queue: LayoutQueue, _ broker: Broker) throws -> [Row] {
        var rows: [Row] = []
        for declared in queue.declaredKeys {
            let type = try broker.connection.send("TYPE", declared.key).string()
            var row = Row(layout: queue.layout.name, queue: queue.name.rawValue, role: declared.role, key: declared.key,
                          type: type, expected: declared.type, count: 0, unreadable: 0)
            if type == declared.type {
                row.count = try broker.connection.send(type == "list" ? "LLEN" : "ZCARD", declared.key).int()
                let role: LayoutRole = declared.role.hasPrefix("ready:") ? .ready(tier: String(declared.role.dropFirst(6)))
                    : declared.role == "delayed" ? .delayed : declared.role == "retry" ? .retry : .dead
                let sample = try broker.layoutMessages(queue, role, offset: 0, count: 100)
                let bad = sample.filter { $0.problem != nil }
                row.unreadable = bad.count
                row.problem = bad.first.map { "\($0.id): \($0.problem!)" }
            }
            rows.append(row)
        }
        return rows
    }
}

/// How layouts look in output.
enum LayoutRecords {
    static func summary(_ layout: Layout, source: String) -> Record {
        var roles: [String] = []
        if layout.delayed != nil { roles.append("delayed") }
        if layout.retry != nil { roles.append("retry") }
        if layout.dead != nil { roles.append("dead") }
        return ["name": .string(layout.name), "queues": .string(naming(layout.queues)),
                "ready": .string(layout.ready.map(\.tier).joined(separator: ",")), "roles": .string(roles.joined(separator: ",")),
                "member": .string(member(layout.member)), "source": .string(source)]
    }

    static func detail(_ layout: Layout) -> Record {
        func scored(_ role: Layout.ScoredRole?) -> FieldValue {
            role.map { .object(["key": .string($0.key), "score": .string($0.unit.rawValue)]) } ?? .null
        }
        func time(_ field: Layout.TimeField?) -> FieldValue {
            field.map { .object(["path": .string($0.path), "unit": .string($0.unit.rawValue)]) } ?? .null
        }
        let dead: FieldValue = switch layout.dead {
        case .sortedSet(let role)?: .object(["key": .string(role.key), "type": .string("zset"), "score": .string(role.unit.rawValue),
                                             "max": layout.deadMax.map { .int($0) } ?? .null,
                                             "max_age_seconds": layout.deadMaxAge.map { .int($0 / 1000) } ?? .null])
        case .list(let key)?: .object(["key": .string(key), "type": .string("list")])
        case nil: .null
        }
        let fields = layout.fields
        return Record([
            ("name", .string(layout.name)), ("description", .string(layout.description)), ("queues", .string(naming(layout.queues))),
            ("ready", .list(layout.ready.map { .object(["tier": .string($0.tier), "key": .string($0.key)]) })),
            ("push", .string(layout.push.rawValue)), ("pop", .string(layout.pop.rawValue)),
            ("delayed", scored(layout.delayed)), ("retry", scored(layout.retry)), ("dead", dead),
            ("member", .string(member(layout.member))),
            ("fields", .object(Record([
                ("id", fields.id.map { .string($0) } ?? .null), ("attempts", fields.attempts.map { .string($0) } ?? .null),
                ("error", fields.error.map { .string($0) } ?? .null), ("enqueued_at", time(fields.enqueuedAt)),
                ("failed_at", time(fields.failedAt)), ("tier", fields.tier.map { .string($0) } ?? .null),
                ("queue", fields.queue.map { .string($0) } ?? .null), ("error_class", fields.errorClass.map { .string($0) } ?? .null),
            ]))),
            ("replay", .object(["attempts": .string(layout.replay.attempts.rawValue),
                                "stamp_enqueued_at": .bool(layout.replay.stampEnqueuedAt)])),
            ("enqueue_defaults", .object(Record(layout.enqueueDefaults.map { ($0.field, .string("\($0.value)")) }))),
            ("capacity", layout.capacity.map { .int($0) } ?? .null), ("max_attempts", .int(layout.maxAttempts)),
            ("promote_to", .string(layout.promoteTo)),
        ])
    }

    static func naming(_ naming: Layout.QueueNaming) -> String {
        switch naming {
        case .fixed(let names): names.map(\.rawValue).joined(separator: ",")
        case .pattern(let pattern): "keys \(pattern)"
        case .set(let key, let prefix): "set \(key)" + (prefix.isEmpty ? "" : " less \(prefix)")
        }
    }

    static func member(_ form: Layout.MemberForm) -> String {
        switch form {
        case .json: "json"
        case .bytes: "bytes"
        case .id(let key, .hash(let payload, let protobuf)):
            "id -> hash \(key) (payload \(payload)\(protobuf.isEmpty ? "" : ", protobuf"))"
        case .id(let key, .jsonString): "id -> json string \(key)"
        case .id(_, .roleHash(let suffix)): "id -> json in the role's hash KEY\(suffix)"
        }
    }
}
