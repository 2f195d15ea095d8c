import ArgumentParser
import FoundationEssentials
import Glibc
import MQCore
import MQFormat
import MQParsing

extension MQCtl {
    struct Events: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "events",
            abstract: "Print pub/sub messages live: the queues' lifecycle events, or any channel as it is.",
            discussion: """
                With QUEUE...: mqctl's own events from mq:{Q}:events, published by workers and \
                admin commands: enqueued, started, succeeded, retried, dead, replayed. \
                -o json or ndjson prints each event's JSON as it is, one per line.

                With --channel NAME (SUBSCRIBE) and --pattern GLOB (PSUBSCRIBE), each repeatable: \
                any application's channels, read and never touched. A table prints one line per \
                message: the time it arrived, the channel, and the message text, with control \
                characters and bytes that are not UTF-8 escaped (\\n, \\xNN). -o ndjson prints one \
                object per message: time, channel, pattern (null for a --channel), payload and \
                payload_encoding: "json" when the message parses as JSON (the payload is then \
                that value), else "text" (a string), or "base64" for bytes that are not UTF-8. \
                -o json wraps the same objects in {"messages": [...]}, closed when the command \
                ends; -o csv has the message text itself in the payload column. A channel that \
                is both named and matched by a pattern shows each message twice, as Redis \
                sends it.

                Give queues or --channel/--pattern, not both. Pub/sub keeps nothing: only \
                messages published while this runs are shown. It runs until --count messages \
                have come, or until Ctrl-C or SIGTERM, which end it with exit 0.

                Examples:
                  mqctl events orders mail -o ndjson
                  mqctl events --channel queue-updates --pattern 'test:*' -o ndjson
                  mqctl events --pattern 'test-progress-*' --count 10
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions
        @Argument(help: "Queues whose lifecycle events to follow.", completion: .queueNames) var queues: [String] = []
        @Option(name: .customLong("channel"), help: ArgumentHelp("A pub/sub channel to follow as it is (SUBSCRIBE); repeatable.", valueName: "name"))
        var channels: [String] = []
        @Option(name: .customLong("pattern"), help: ArgumentHelp("A channel pattern to follow (PSUBSCRIBE, a glob such as 'test:*'); repeatable.", valueName: "glob"))
        var patterns: [String] = []
        @Option(help: ArgumentHelp("Stop after N messages.", valueName: "n")) var count: Int?
        @OptionGroup var missing: MissingQueueOption

        func validate() throws {
            let raw = !channels.isEmpty || !patterns.isEmpty
            guard queues.isEmpty == raw else {
                throw ValidationError(raw
                    ? "give queues or --channel/--pattern, not both"
                    : "give the queues to follow, or --channel NAME / --pattern GLOB for any pub/sub channel")
            }
            if channels.contains("") || patterns.contains("") { throw ValidationError("--channel and --pattern must not be empty") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            try Interruption.catchingTermination {
                if queues.isEmpty {
                    try followChannels(context)
                } else {
                    try followQueues(context)
                }
            }
        }

        private func followQueues(_ context: CommandContext) throws {
            // Events of a queue that does not exist would never come: a typo is refused.
            // An event is its JSON as published: as is, or a line of text.
            guard [.table, .json, .ndjson, .jsonSeq].contains(context.format) else {
                throw UsageError("events of queues print as lines of text (table), json, ndjson or json-seq; not -o \(context.format.rawValue)")
            }
            let names = try context.existingQueues(queues, allowMissing: missing.allowMissing).map(\.name)
            var seen = 0
            try context.broker().followEvents(names) { queue, json in
                if context.format != .table {
                    context.stdout.write((context.format == .jsonSeq ? "\u{1E}" : "") + String(decoding: json, as: UTF8.self) + "\n")
                } else {
                    context.stdout.write(EventLine.text(queue, json) + "\n")
                }
                context.stdout.flush()
                seen += 1
                return count.map { seen < $0 } ?? true
            }
        }

        private func followChannels(_ context: CommandContext) throws {
            guard context.format != .prometheus else {
                throw UsageError("-o prometheus is offered by stats only; use table, json, ndjson or csv")
            }
            // A table holds its rows to size the columns: a stream that may
            // never end is printed line by line instead.
            let renderer = context.format.isTable ? nil : try context.renderer()
            renderer?.beginList(key: "messages", columns: ChannelRecords.columns)
            context.stdout.flush()
            var seen = 0
            let listener = ChannelListener(connection: try context.connection())
            try listener.follow(channels: channels, patterns: patterns) { message in
                if let renderer {
                    renderer.row(context.format == .csv ? ChannelRecords.csvRow(message) : ChannelRecords.row(message))
                } else {
                    context.stdout.write(ChannelRecords.line(message) + "\n")
                }
                context.stdout.flush()
                seen += 1
                return count.map { seen < $0 } ?? true
            }
            renderer?.endList()
        }
    }
}

/// One pub/sub message as output: a record for the machine formats, a
/// line for people.
enum ChannelRecords {
    static let columns = [Column("time"), Column("channel"), Column("pattern"), Column("payload"), Column("payload_encoding")]

    /// For JSON and NDJSON: a payload that parses as JSON is that value
    /// (members in their order; integers past Int64 become doubles).
    static func row(_ message: ChannelMessage) -> Record {
        let (payload, encoding): (FieldValue, String) =
            if let json = MessageText.json(message.payload) { (json, "json") }
            else if let text = MessageText.utf8(message.payload) { (.string(text), "text") }
            else { (.string(Base64.encode(message.payload)), "base64") }
        return fields(message, payload, encoding)
    }

    /// For CSV: the message text itself, JSON or not.
    static func csvRow(_ message: ChannelMessage) -> Record {
        guard let text = MessageText.utf8(message.payload) else {
            return fields(message, .string(Base64.encode(message.payload)), "base64")
        }
        return fields(message, .string(text), MessageText.json(message.payload) == nil ? "text" : "json")
    }

    private static func fields(_ message: ChannelMessage, _ payload: FieldValue, _ encoding: String) -> Record {
        [
            "time": .time(message.receivedAt),
            "channel": .string(String(decoding: message.channel, as: UTF8.self)),
            "pattern": message.pattern.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null,
            "payload": payload,
            "payload_encoding": .string(encoding),
        ]
    }

    /// TIME CHANNEL MESSAGE, the message on one line whatever it holds.
    static func line(_ message: ChannelMessage) -> String {
        "\(TimeText.rfc3339(message.receivedAt)) \(MessageText.safe(message.channel)) \(MessageText.safe(message.payload))"
    }
}

/// Message bytes read for output, never trusted: they are another
/// application's.
enum MessageText {
    /// The bytes as a string when they are valid UTF-8, else nil.
    static func utf8(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.utf8.elementsEqual(bytes) ? text : nil
    }

    /// The JSON value the bytes hold (RFC 8259, read strictly by
    /// `JSONReader`), nil when they hold something else. Any value counts:
    /// an object, an array, a string, a number, true, false or null.
    static func json(_ bytes: [UInt8]) -> FieldValue? {
        // JSONReader reads objects: read {"v":BYTES} and take v. One member
        // named v, then the closing brace, means the bytes were one JSON
        // value and nothing else; `1,"w":2` gives two members and is refused.
        guard !bytes.isEmpty, let members = try? JSONReader.object(Array("{\"v\":".utf8) + bytes + [UInt8(ascii: "}")]),
              members.count == 1, members[0].name == "v" else { return nil }
        return field(members[0].value)
    }

    private static func field(_ value: JSONValue) -> FieldValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .integer(let number): return .int(number)
        case .number(let number): return .double(number)
        case .string(let text): return .string(text)
        case .array(let items): return .list(items.map(field))
        case .object(let members): return .object(Record(members.map { (name: $0.name, value: field($0.value)) }))
        }
    }

    /// Text that is safe on a terminal and stays on one line: valid UTF-8
    /// as it is, but with control characters (and the bidirectional
    /// overrides that could make a line read otherwise) escaped; anything
    /// else as printable ASCII with the other bytes as \xNN.
    static func safe(_ bytes: [UInt8]) -> String {
        guard let text = utf8(bytes) else {
            return bytes.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : hex($0) }.joined()
        }
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x80 && needsEscape(scalar): out += hex(UInt8(scalar.value))
            case _ where needsEscape(scalar): out += String(printf: "\\u{%04X}", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        String(printf: "\\x%02X", byte)
    }
}

/// One event as a line for people: time, queue, event, id, then the rest.
enum EventLine {
    static func text(_ queue: QueueName, _ json: [UInt8]) -> String {
        guard var object = try? JSONMember(name: "event", value: JSONReader.value(json)).stringObject() else {
            return String(decoding: json, as: UTF8.self)
        }
        let time = object.removeValue(forKey: "time").flatMap { Int64($0) }.map { TimeText.rfc3339($0) } ?? "-"
        let event = object.removeValue(forKey: "event") ?? "?"
        let id = object.removeValue(forKey: "id") ?? "?"
        object.removeValue(forKey: "queue")
        let rest = object.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "\(time) \(queue) \(event) \(id)" + (rest.isEmpty ? "" : " " + rest)
    }
}
