/// The output formats every command offers.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, ndjson, csv
    /// The Prometheus text exposition format, for metrics (`PrometheusWriter`).
    case prometheus
}

/// A column of a list: the field it shows and how to align it in a table.
public struct Column: Sendable {
    public var name: String
    public var rightAligned: Bool

    public init(_ name: String, rightAligned: Bool = false) {
        self.name = name
        self.rightAligned = rightAligned
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
    func endList()
}

public struct RenderOptions: Sendable {
    /// Terminal width for tables; nil for no limit.
    public var width: Int?

    public init(width: Int? = nil) {
        self.width = width
    }
}

extension OutputFormat {
    public func renderer(to sink: OutputSink, options: RenderOptions = RenderOptions()) -> Renderer {
        switch self {
        case .table: return TableRenderer(sink: sink, width: options.width)
        case .json: return JSONRenderer(sink: sink, lines: false)
        case .ndjson: return JSONRenderer(sink: sink, lines: true)
        case .csv: return CSVRenderer(sink: sink)
        case .prometheus: preconditionFailure("records have no Prometheus form; write metrics with PrometheusWriter")
        }
    }
}
