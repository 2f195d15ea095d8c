import MQCore
import MQFormat
import MQParsing

/// The WARNING and CRITICAL limits a queue is judged by: the config file's
/// `[check]` table, under `check`'s --warn-* and --max-* options (an option
/// replaces the file's value of the same name). `top` colours its rows by
/// the same judgement.
struct QueueThresholds: Sendable, Equatable {
    struct Counts: Sendable, Equatable {
        var warning: ThresholdRange?
        var critical: ThresholdRange?
    }

    struct Durations: Sendable, Equatable {
        var warning: DurationValue?
        var critical: DurationValue?
    }

    var ready = Counts(), dead = Counts(), usage = Counts(), overdue = Counts(), retry = Counts()
    var inflight = Counts(), failRate = Counts(), rejected = Counts()
    var latency = Durations(), paused = Durations()

    /// The count thresholds by the name their options and keys use.
    static let countNames: [(name: String, path: WritableKeyPath<QueueThresholds, Counts>)] = [
        ("ready", \.ready), ("dead", \.dead), ("usage", \.usage), ("overdue", \.overdue), ("retry", \.retry),
        ("inflight", \.inflight), ("fail_rate", \.failRate), ("rejected", \.rejected),
    ]
    static let durationNames: [(name: String, path: WritableKeyPath<QueueThresholds, Durations>)] = [
        ("latency", \.latency), ("paused", \.paused),
    ]

    var isEmpty: Bool {
        Self.countNames.allSatisfy { self[keyPath: $0.path] == Counts() }
            && Self.durationNames.allSatisfy { self[keyPath: $0.path] == Durations() }
    }

    /// These thresholds with each one `other` sets put over them.
    func overridden(by other: QueueThresholds) -> QueueThresholds {
        var merged = self
        for (_, path) in Self.countNames {
            merged[keyPath: path].warning = other[keyPath: path].warning ?? self[keyPath: path].warning
            merged[keyPath: path].critical = other[keyPath: path].critical ?? self[keyPath: path].critical
        }
        for (_, path) in Self.durationNames {
            merged[keyPath: path].warning = other[keyPath: path].warning ?? self[keyPath: path].warning
            merged[keyPath: path].critical = other[keyPath: path].critical ?? self[keyPath: path].critical
        }
        return merged
    }

    /// Why a warning would trip after its critical (`warn_ready 100`,
    /// `max_ready 50`), naming both as `spell` writes them; nil when none would.
    func misordering(spell: (_ level: String, _ name: String) -> String) -> String? {
        for (name, path) in Self.countNames {
            guard let warning = self[keyPath: path].warning, let critical = self[keyPath: path].critical,
                  let reason = ThresholdRange.misordered(warning: warning, critical: critical) else { continue }
            return "\(spell("warn", name)) \(warning) would trip after \(spell("max", name)) \(critical): \(reason)"
        }
        for (name, path) in Self.durationNames {
            guard let warning = self[keyPath: path].warning, let critical = self[keyPath: path].critical, warning > critical else { continue }
            return "\(spell("warn", name)) \(warning) would trip after \(spell("max", name)) \(critical): a warning comes first"
        }
        return nil
    }

    /// A queue's values with the thresholds that apply to them; `pause`
    /// is when a paused queue was paused (only read with paused thresholds).
    func metrics(_ stats: QueueStats, pause: PauseStart?, now: Int64) -> [CheckMetric] {
        func count(_ label: String, _ field: String, _ value: Int64, _ limits: Counts, always: Bool = false) -> CheckMetric {
            CheckMetric(label: label, field: field, value: Double(value), json: .int(value), shown: "\(value)",
                        warning: limits.warning, critical: limits.critical,
                        inPerfdata: always || limits.warning != nil || limits.critical != nil)
        }
        let age = stats.latency
        var metrics = [
            count("ready", "ready", stats.ready, ready, always: true),
            CheckMetric(label: "latency", field: "latency_seconds", value: age, json: age.map(FieldValue.seconds) ?? .null,
                        shown: "\(Int(age ?? 0))s", unit: "s", warning: latency.warning.map { ThresholdRange(above: $0.seconds) },
                        critical: latency.critical.map { ThresholdRange(above: $0.seconds) }),
            count("dead", "dead", stats.dead, dead, always: true),
        ]
        // Without a max_length a queue is never full: no usage to judge.
        if let percent = stats.usagePercent {
            metrics.append(CheckMetric(label: "usage", field: "usage_pct", value: percent, json: .double((percent * 10).rounded() / 10),
                                       shown: "\(Int(percent))%", unit: "%", warning: usage.warning, critical: usage.critical))
        }
        metrics += [
            count("overdue", "overdue", stats.overdue, overdue),
            count("retry", "retry", stats.retry, retry),
            count("inflight", "inflight", stats.inflight, inflight),
            count("fail_rate", "failed_per_min", stats.failedPerMinute, failRate),
            count("rejected", "rejected_per_min", stats.rejectedPerMinute, rejected),
        ]
        if paused != Durations() {
            var metric = CheckMetric(label: "paused", field: "paused_seconds", value: 0, json: .seconds(0), shown: "0s", unit: "s",
                                     warning: paused.warning.map { ThresholdRange(above: $0.seconds) },
                                     critical: paused.critical.map { ThresholdRange(above: $0.seconds) })
            if stats.config.paused {
                switch pause ?? .unknown {
                case .at(let since):
                    metric.value = Double(now - since) / 1000
                case .before(let oldest):
                    // At least this long; if that trips nothing, the log cannot tell.
                    metric.value = Double(now - oldest) / 1000
                    if metric.level == .ok {
                        metric.value = nil
                        metric.undetermined = "since before the audit log's oldest entry (\(Int(Double(now - oldest) / 1000))s ago)"
                    }
                case .unknown:
                    metric.value = nil
                    metric.undetermined = "since a time the audit log does not hold"
                }
                metric.shown = metric.value.map { "\(Int($0))s" } ?? "?"
                metric.json = metric.value.map(FieldValue.seconds) ?? .null
            }
            metrics.append(metric)
        }
        return metrics
    }
}
