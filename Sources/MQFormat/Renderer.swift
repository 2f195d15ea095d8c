/// The output formats; each command offers those it can write
/// (`OutputFormat.lists` for every list, plus its own).
public enum OutputFormat: String, CaseIterable, Sendable {
    /// For people: the columns that matter, cut to the terminal's width.
    case table
    /// For people: every field, nothing cut.
    case wide
    case json, ndjson
    /// JSON text sequences (RFC 7464): NDJSON with a record separator before each.
    case jsonSeq = "json-seq"
    case csv
    /// Only the ids (or names), one a line, for piping into other commands.
    case name
    /// The Prometheus text exposition format, for metrics (`PrometheusWriter`).
    case prometheus

    /// What every command that prints records offers.
    public static let records: [OutputFormat] = [.table, .wide, .json, .ndjson, .jsonSeq, .csv, .name]

    /// What `--watch` can stream: a table drawn again, or one record per
    /// draw in ndjson or json-seq.
    public static let watches: [OutputFormat] = [.table, .wide, .ndjson, .jsonSeq]

    /// A table for people, whose cells show human units.
    public var isTable: Bool { self == .table || self == .wide }
}

/// A column of a list: the field it shows, and its alignment in a table;
/// its heading is the field's name (`title(of:)`), so one thing has one
/// name in every format.
public struct Column: Sendable {
    public var name: String
    public var title: String
    public var rightAligned: Bool
    /// Cells read OK / WARN / CRIT: green, yellow, red on a colour terminal.
    public var isStatus: Bool

    public init(_ name: String, rightAligned: Bool = false, isStatus: Bool = false) {
        self.name = name
        self.title = Self.title(of: name)
        self.rightAligned = rightAligned
        self.isStatus = isStatus
    }
}

extension Column {
    /// A field's heading: its JSON name in capitals, the last part of a
    /// nested name, without the unit a table shows in words
    /// (`latency_seconds` reads LATENCY and holds `33µs`).
    public static func title(of name: String) -> String {
        var last = name.split(separator: ".").last.map(String.init) ?? name
        if last.hasSuffix("_seconds") { last.removeLast("_seconds".count) }
        return last.uppercased()
    }
}

/// Turns records into text in one format. A command either renders one
/// object with `single`, or a list with `beginList`, any number of `row`
/// calls, then `endList`. Formats that can stream (JSON, NDJSON, CSV) write
/// each row as it comes, so lists of any length take constant memory.
public protocol Renderer: AnyObject {
    func single(_ record: Record)
    /// `key` names the list in JSON (`{"queues": [...]}`); `columns` are the
    /// fields a table or CSV shows, in order.
    func beginList(key: String, columns: [Column])
    func row(_ record: Record)
    /// Ends the list; JSON adds `trailer`'s fields after it
    /// (`{"items": [...], "next_cursor": ...}`), other formats ignore them.
    func endList(_ trailer: Record)
}

extension Renderer {
    public func endList() {
        endList([:])
    }
}

public struct RenderOptions: Sendable {
    /// Terminal width for tables; nil for no limit.
    public var width: Int?
    /// ANSI colours in tables.
    public var color: Bool
    /// Cut cells so a table fits `width` (`--no-trunc` turns it off).
    public var truncate: Bool

    public init(width: Int? = nil, color: Bool = false, truncate: Bool = true) {
        self.width = width
        self.color = color
        self.truncate = truncate
    }
}

extension OutputFormat {
    /// A renderer writing to `sink`; `watching` renders each list as one
    /// record (a draw of `--watch`).
    public func renderer(to sink: OutputSink, options: RenderOptions = RenderOptions(), watching: Bool = false) -> Renderer {
        switch self {
        case .table: return TableRenderer(sink: sink, width: options.truncate ? options.width : nil, color: options.color)
        case .wide: return TableRenderer(sink: sink, width: nil, color: options.color, everyField: true)
        case .json: return JSONRenderer(sink: sink, lines: false)
        case .ndjson: return JSONRenderer(sink: sink, lines: true, wholeLists: watching)
        case .jsonSeq: return JSONRenderer(sink: sink, lines: true, sequence: true, wholeLists: watching)
        case .csv: return CSVRenderer(sink: sink)
        case .name: return NameRenderer(sink: sink)
        case .prometheus: preconditionFailure("records have no Prometheus form; write metrics with PrometheusWriter")
        }
    }
}
