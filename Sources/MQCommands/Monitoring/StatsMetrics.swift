import MQCore
import MQFormat

/// `stats -o prometheus`: what exporters give, for node_exporter's textfile
/// collector. `mqctl_up` says whether the rest could be read at all, and
/// `mqctl_queue_up` which queues could be.
enum StatsMetrics {
    /// What one scrape found: nil readings and vitals when Redis could not
    /// be read (`mqctl_up 0`); missing holds the queues named that do not
    /// exist.
    struct Scrape {
        var readings: [QueueReading]?
        var missing: [QueueRef] = []
        var vitals: ServerVitals?
        var seconds: Double
    }

    static func families(_ scrape: Scrape) -> [MetricFamily] {
        var families = [
            MetricFamily(name: "mqctl_up", help: "1 when mqctl read the queues from Redis, 0 when it could not (the reason is on stderr).",
                         kind: .gauge, samples: [([], scrape.readings == nil ? 0 : 1)]),
            MetricFamily(name: "mqctl_scrape_duration_seconds", help: "Seconds mqctl took to read what follows.",
                         kind: .gauge, samples: [([], scrape.seconds)]),
        ]
        guard let readings = scrape.readings else { return families }
        var up = MetricFamily(
            name: "mqctl_queue_up",
            help: "1 when the queue was read; 0 when one of its keys holds another type, a setting is corrupt, or the queue named does not exist (the reason is on stderr).",
            kind: .gauge)
        for reading in readings { up.samples.append((labels(reading.queue), reading.stats == nil ? 0 : 1)) }
        for queue in scrape.missing { up.samples.append((labels(queue), 0)) }
        families.append(up)
        families += queues(readings.compactMap(\.stats))
        if let vitals = scrape.vitals { families += server(vitals) }
        return families
    }

    /// Prometheus labels of a queue: its name, and its layout when declared.
    static func labels(_ queue: QueueRef) -> [(String, String)] {
        [("queue", queue.name.rawValue)] + (queue.layoutName == "native" ? [] : [("layout", queue.layoutName)])
    }

    private static func queues(_ stats: [QueueStats]) -> [MetricFamily] {
        func family(_ name: String, _ help: String, _ kind: MetricFamily.Kind = .gauge, _ value: (QueueStats) -> Double?) -> MetricFamily {
            MetricFamily(name: "mqctl_queue_\(name)", help: help, kind: kind, samples: stats.compactMap { queue in
                value(queue).map { (labels: Records.labels(queue), value: $0) }
            })
        }
        // What only mqctl's own queues keep is absent for layouts, not 0.
        func native(_ value: @escaping (QueueStats) -> Double?) -> (QueueStats) -> Double? {
            { $0.layout == nil ? value($0) : nil }
        }
        var ready = MetricFamily(name: "mqctl_queue_ready", help: "Messages ready to run, by priority tier.", kind: .gauge)
        for queue in stats {
            for tier in Records.tiers(queue) {
                ready.samples.append((labels: Records.labels(queue) + [("priority", tier.name)], value: Double(tier.count)))
            }
        }
        return [
            ready,
            family("delayed", "Messages waiting for their run-at time.") { Double($0.delayed) },
            family("retry", "Messages waiting to be retried.") { Double($0.retry) },
            family("inflight", "Messages leased to a worker.") { Double($0.inflight) },
            family("expired_leases", "Leases past their deadline that no reaper has returned yet.", .gauge, native { Double($0.expiredLeases ?? 0) }),
            family("dead", "Dead letters.") { Double($0.dead) },
            family("dead_oldest_age_seconds", "Age of the oldest dead letter, since it failed (0 when there is none).",
                   .gauge, native { $0.oldestDeadSeconds ?? 0 }),
            family("dead_trimmed_total", "Dead letters removed by the dead_max and dead_max_age caps.", .counter) { Double($0.deadTrimmed) },
            family("latency_seconds", "Age of the oldest ready message at a tier's head, since it was first enqueued (0 when none is ready).") {
                $0.latency ?? 0
            },
            family("waiting_seconds", "Time that message has waited since it became due, its run_at (0 when none is ready).",
                   .gauge, native { $0.latency == nil ? 0 : $0.waitingSeconds ?? 0 }),
            family("overdue", "Delayed and retry messages due but not yet promoted.") { Double($0.overdue) },
            family("enqueued_total", "Messages enqueued.", .counter) { Double($0.enqueued) },
            family("rejected_total", "Enqueues refused because the queue was at its max_length.", .counter) { Double($0.rejected) },
            family("processed_total", "Messages acknowledged.", .counter) { Double($0.processed) },
            family("failed_total", "Failed attempts.", .counter) { Double($0.failed) },
            family("paused", "1 when fetching is paused.") { $0.config.paused ? 1 : 0 },
            family("max_length", "Ready plus delayed messages allowed (absent: no limit).") { $0.config.maxLength.map(Double.init) },
            family("usage_ratio", "Ready plus delayed as a share of max_length.") { $0.usagePercent.map { $0 / 100 } },
        ]
    }

    private static func server(_ vitals: ServerVitals) -> [MetricFamily] {
        func labels(_ memory: ServerVitals.Memory) -> [(String, String)] { memory.node.map { [("node", $0)] } ?? [] }
        return [
            MetricFamily(name: "mqctl_workers", help: "Workers whose heartbeat is fresh, over all queues.", kind: .gauge,
                         samples: [([], Double(vitals.liveWorkers))]),
            MetricFamily(name: "mqctl_redis_memory_used_bytes", help: "Memory Redis uses (INFO memory used_memory).", kind: .gauge,
                         samples: vitals.memory.map { (labels($0), Double($0.usedBytes)) }),
            MetricFamily(name: "mqctl_redis_memory_max_bytes", help: "Redis maxmemory (0: no limit).", kind: .gauge,
                         samples: vitals.memory.map { (labels($0), Double($0.maxBytes)) }),
        ]
    }
}
