/// A metric family in the Prometheus text exposition format
/// (https://prometheus.io/docs/instrumenting/exposition_formats/).
public struct MetricFamily: Sendable {
    public enum Kind: String, Sendable {
        case gauge, counter
    }

    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: [(labels: [(String, String)], value: Double)]

    public init(name: String, help: String, kind: Kind, samples: [(labels: [(String, String)], value: Double)] = []) {
        self.name = name
        self.help = help
        self.kind = kind
        self.samples = samples
    }
}

/// Writes metric families with HELP and TYPE lines, for node_exporter's
/// textfile collector.
public enum PrometheusWriter {
    public static func write(_ families: [MetricFamily], to sink: OutputSink) {
        for family in families {
            sink.write("# HELP \(family.name) \(escapeHelp(family.help))\n")
            sink.write("# TYPE \(family.name) \(family.kind.rawValue)\n")
            for sample in family.samples {
                let labels = sample.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",")
                sink.write("\(family.name)\(labels.isEmpty ? "" : "{\(labels)}") \(format(sample.value))\n")
            }
        }
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingLiteral("\\", with: "\\\\").replacingLiteral("\n", with: "\\n")
    }

    static func escapeLabel(_ text: String) -> String {
        escapeHelp(text).replacingLiteral("\"", with: "\\\"")
    }
}
