import FoundationEssentials
import Glibc
import MQCore
import MQFormat

/// The states of a Nagios plugin, with their exit codes.
enum CheckLevel: Int32 {
    case ok = 0, warning = 1, critical = 2, unknown = 3

    var name: String { ["OK", "WARNING", "CRITICAL", "UNKNOWN"][Int(rawValue)] }

    /// Which state a mixed result takes: a critical problem outranks not
    /// knowing, which outranks a warning (the order Icinga sorts states in),
    /// so an unreadable queue never hides a full one.
    var severity: Int { [0, 1, 3, 2][Int(rawValue)] }

    static func worst(_ levels: [CheckLevel]) -> CheckLevel {
        levels.max { $0.severity < $1.severity } ?? .ok
    }
}

/// One measured value of a queue or a group, with its thresholds.
struct CheckMetric {
    /// The short name in the status line and perfdata: `ready`.
    var label: String
    /// The field name in JSON, as `stats` names it: `latency_seconds`.
    var field: String
    /// Nil when there is nothing to measure (an empty queue's latency):
    /// no threshold trips then.
    var value: Double?
    var json: FieldValue
    /// The value as the status line shows it: `3`, `372s`, `95%`, `~15`.
    var shown: String
    var unit: String = ""
    var warning: ThresholdRange?
    var critical: ThresholdRange?
    /// Perfdata carries it (those without a threshold too, so graphs go on).
    var inPerfdata = true
    /// Why the value cannot be judged although it matters (a pause whose
    /// start the audit log does not hold): UNKNOWN when a threshold is set.
    var undetermined: String?

    var hasThreshold: Bool { warning != nil || critical != nil }

    var level: CheckLevel {
        if let value {
            if critical?.alerts(value) == true { return .critical }
            if warning?.alerts(value) == true { return .warning }
        }
        return undetermined != nil && hasThreshold ? .unknown : .ok
    }

    /// `ready 3 > 2`, or the reason it is unknown; nil when within limits.
    var problem: String? {
        switch level {
        case .ok: return nil
        case .unknown: return "\(label) \(undetermined ?? "unknown")"
        case .warning, .critical:
            let range = level == .critical ? critical! : warning!
            return "\(label) \(shown) \(range.violation(value!)!)\(unit)"
        }
    }
}

/// A queue, a stream's group or a dead stream, as `check` judges it.
struct CheckSubject {
    var name: String
    var layout: String?
    var metrics: [CheckMetric] = []
    /// It could not be measured at all: why, and how bad that is.
    var failure: (level: CheckLevel, message: String)?

    var level: CheckLevel { failure?.level ?? CheckLevel.worst(metrics.map(\.level)) }
}

/// Everything one `check` run found, as one status line with perfdata or
/// as a JSON object, and the exit code.
struct CheckReport {
    /// `queues` or `groups`, the JSON key of the subjects.
    var kind: String
    var subjects: [CheckSubject] = []
    /// Problems of the whole run (no thresholds, no queues).
    var notes: [(level: CheckLevel, text: String)] = []
    /// The summary when nothing is wrong.
    var allClear: String

    init(kind: String, allClear: String) {
        self.kind = kind
        self.allClear = allClear
    }

    var problems: [(level: CheckLevel, text: String)] {
        var items: [(level: CheckLevel, text: String)] = []
        for subject in subjects {
            if let failure = subject.failure {
                items.append((failure.level, failure.message))
                continue
            }
            for metric in subject.metrics { if let problem = metric.problem { items.append((metric.level, "\(subject.name) \(problem)")) } }
        }
        return items + notes
    }

    var level: CheckLevel { CheckLevel.worst(problems.map(\.level)) }

    /// The worst level's problems first, then each lesser level's after
    /// its name: `orders ready 30 > 20; UNKNOWN: ...; WARNING: mail dead 3 > 0`.
    var summary: String {
        let items = problems
        guard !items.isEmpty else { return allClear }
        let levels = [CheckLevel.critical, .unknown, .warning].filter { level in items.contains { $0.level == level } }
        return levels.enumerated().map { index, level in
            let texts = items.filter { $0.level == level }.map(\.text).joined(separator: ", ")
            return index == 0 ? texts : "\(level.name): \(texts)"
        }.joined(separator: "; ")
    }

    /// `label=value[unit];warn;crit` for every metric that carries it.
    var perfdata: String {
        subjects.filter { $0.failure == nil }.flatMap { subject in
            subject.metrics.filter(\.inPerfdata).map { metric in
                let thresholds = [metric.warning, metric.critical].map { $0?.description ?? "" }.joined(separator: ";")
                return "\(Self.perfLabel("\(subject.name)_\(metric.label)"))=\(ThresholdRange.number(metric.value ?? 0))\(metric.unit);\(thresholds)"
            }
        }.joined(separator: " ")
    }

    var statusLine: String {
        let perf = perfdata
        return "MQCTL \(level.name) - \(summary)" + (perf.isEmpty ? "" : " | \(perf)")
    }

    var record: Record {
        let level = self.level
        let subjects = self.subjects.map { subject -> FieldValue in
            let metrics = subject.metrics.map { metric -> (name: String, value: FieldValue) in
                (metric.field, .object([
                    "value": metric.json,
                    "warning": metric.warning.map { .string($0.description) } ?? .null,
                    "critical": metric.critical.map { .string($0.description) } ?? .null,
                    "status": .string(metric.level.name),
                ]))
            }
            // Each subject is named as its kind is everywhere else: a queue or a group.
            let fields: [(name: String, value: FieldValue)] = [
                (kind == "groups" ? "group" : "queue", .string(subject.name)),
                ("layout", subject.layout.map(FieldValue.string) ?? .null),
                ("status", .string(subject.level.name)),
                ("error", subject.failure.map { .string($0.message) } ?? .null),
                ("metrics", .object(Record(metrics))),
            ]
            return .object(Record(fields))
        }
        return [
            "status": .string(level.name),
            "exit_code": .int(Int64(level.rawValue)),
            "summary": .string(summary),
            "problems": .list(problems.map { .object(["status": .string($0.level.name), "text": .string($0.text)]) }),
            kind: .list(subjects),
            "perfdata": .string(perfdata),
        ]
    }

    /// A perfdata label, in single quotes (doubled inside) when it holds
    /// a space, a quote or an equals sign, as the plugin guidelines ask.
    static func perfLabel(_ label: String) -> String {
        guard label.contains(where: { $0 == " " || $0 == "'" || $0 == "=" }) else { return label }
        return "'" + label.replacingLiteral("'", with: "''") + "'"
    }
}
