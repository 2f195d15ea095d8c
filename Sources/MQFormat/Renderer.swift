/// The output formats every command offers.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, ndjson, csv
    /// The Prometheus text exposition format, for metrics (`PrometheusWriter`).
    case prometheus
}

/// A column of a list: the field it shows, and its heading and alignment
/// in a table (the heading defaults to the field name in capitals).
public struct Column: Sendable {
    public var name: String
    public var title: String
    public var rightAligned: Bool
    /// Cells read OK / WARN / CRIT: green, yellow, red on a colour terminal.
    public var isStatus: Bool

    public init(_ name: String, title: String? = nil, rightAligned: Bool = false, isStatus: Bool = false) {
        self.name = name
        self.title = title ?? name.uppercased()
        self.rightAligned = rightAligned
        self.isStatus = isStatus
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

    public init(width: Int? = nil, color: Bool = false) {
        self.width = width
        self.color = color
    }
}

extension OutputFormat {
    public func renderer(to sink: OutputSink, options: RenderOptions = RenderOptions()) -> Renderer {
        switch self {
        case .table: return TableRenderer(sink: sink, width: options.width, color: options.color)
        case .json: return JSONRenderer(sink: sink, lines: false)
        case .ndjson: return JSONRenderer(sink: sink, lines: true)
        case .csv: return CSVRenderer(sink: sink)
        case .prometheus: preconditionFailure("records have no Prometheus form; write metrics with PrometheusWriter")
        }
    }
}
