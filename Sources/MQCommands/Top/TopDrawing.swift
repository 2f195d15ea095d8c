import MQCore
import MQFormat
import MQTerminal

/// The dashboard's frames: the overview, a queue's tabs, the help. Every
/// line fits the width; the footer names the keys of the screen shown.
struct TopDrawing {
    let session: TopSession

    /// Queue rows the overview has at a height: title, vitals, a gap and
    /// the header above; a gap, the selected queue's rates, the message and
    /// the footer below.
    static func overviewRows(_ height: Int) -> Int { max(1, height - 8) }

    /// Message rows a queue's list has; the detail pane takes the rest.
    static func listRows(_ height: Int) -> Int { max(2, (height - 7) / 2) }

    private var width: Int { session.size.columns }

    private func title(_ text: String) -> [(text: String, style: Style)] {
        [("mqctl top", .heading), ("  " + text, .plain),
         ("  \(session.context.configuration)  every \(TimeText.humanDuration(session.interval))  "
            + TimeText.rfc3339(SystemTime().nowMilliseconds(), milliseconds: false), .dim)]
    }

    private func footer(_ keys: String, on screen: inout Screen) {
        screen.fill(leaving: 2)
        if case .confirm(let action) = session.prompt {
            screen.line(action.question, .warning)
        } else if case .filter(let text) = session.prompt {
            screen.line([("filter (a regular expression on the last error, or payload:TEXT): ", .accent), (text + "█", .plain)])
        } else if let message = session.message {
            screen.line(message.text, message.style)
        } else {
            screen.line()
        }
        screen.line(keys, .dim)
    }

    // MARK: - Overview

    func overview(on screen: inout Screen) {
        let overview = session.overview
        screen.line(title("\(overview.refs.count) queue\(overview.refs.count == 1 ? "" : "s")"))
        if let failure = overview.failure {
            screen.line("Redis: \(failure) (retrying every refresh)", .critical)
        } else if let vitals = overview.vitals {
            let memory = vitals.memory.map { node in
                CompactNumber.bytes(node.usedBytes) + (node.maxBytes > 0 ? " of " + CompactNumber.bytes(node.maxBytes) : "")
            }.joined(separator: ", ")
            screen.line([("memory ", .dim), (memory, .plain), ("  ops/s ", .dim), (String(vitals.opsPerSecond), .plain),
                         ("  clients ", .dim), (String(vitals.connectedClients), .plain),
                         ("  workers ", .dim), (String(vitals.liveWorkers), vitals.liveWorkers > 0 ? .ok : .plain)])
        } else {
            screen.line()
        }
        screen.line()
        let nameWidth = min(32, 13 + max(0, (width - 80) / 2))
        let sparkWidth = max(0, min(30, width - 62 - nameWidth))
        func cells(_ values: [String]) -> String {
            let widths = [-nameWidth, -8, -4, 6, 6, 6, 6, 4, 6, 6]
            // Negative widths align left.
            return zip(values, widths).map { value, width in
                let text = String(value.prefix(abs(width)))
                return width < 0 ? text.padding(-width) : text.leftPadding(width)
            }.joined(separator: " ")
        }
        screen.line(cells(["QUEUE", "LAYOUT", "STAT", "READY", "DELAY", "RETRY", "DEAD", "INFL", "LAT", "PROC/s"])
                    + (sparkWidth > 0 ? " " + "TREND".prefix(sparkWidth) : ""), .bold)
        let rows = Self.overviewRows(session.size.rows)
        for index in overview.offset..<min(overview.refs.count, overview.offset + rows) {
            let ref = overview.refs[index]
            let reading = overview.reading(ref)
            let selected = index == overview.selected
            guard let stats = reading?.stats else {
                let state = reading?.error.map { "ERR  \($0)" } ?? "…"
                screen.line([(cells([ref.name.rawValue, ref.layoutName]) + " " + state, selected ? .selected : reading?.error == nil ? .dim : .critical)])
                continue
            }
            let status = judge(stats)
            let rate = overview.rates(ref) { $0.processed }
            let row = cells([
                ref.name.rawValue, ref.layoutName, status.text, CompactNumber.text(stats.ready), CompactNumber.text(stats.delayed),
                CompactNumber.text(stats.retry), CompactNumber.text(stats.dead), CompactNumber.text(stats.inflight),
                stats.latency.map(TimeText.humanDuration) ?? "-", rate.last.map(CompactNumber.rate) ?? "-",
            ])
            let spark = sparkWidth > 0 ? " " + Sparkline.text(rate, width: sparkWidth) : ""
            if selected {
                screen.line(row + spark, .selected)
            } else {
                let split = row.index(row.startIndex, offsetBy: nameWidth + 10)
                let statusEnd = row.index(split, offsetBy: 4)
                screen.line([(String(row[..<split]), .plain), (String(row[split..<statusEnd]), status.style),
                             (String(row[statusEnd...]), .plain), (spark, .accent)])
            }
        }
        if overview.refs.isEmpty {
            screen.line("no queues under the prefix '\(session.context.prefix)' (R reads the list again)", .dim)
        }
        screen.fill(leaving: 4)
        screen.line()
        selectedQueue(on: &screen)
        footer("↑↓ select  ⏎ open  p pause  R reload  ? help  q quit  · \(overview.commands) commands a refresh", on: &screen)
    }

    /// The selected queue's rates over the last minutes and its problems.
    private func selectedQueue(on screen: inout Screen) {
        let overview = session.overview
        guard let ref = overview.selectedRef, let stats = overview.reading(ref)?.stats else {
            screen.line()
            return
        }
        var spans: [(text: String, style: Style)] = [(ref.name.rawValue, .bold)]
        for (name, value) in [("processed", { (s: TopOverview.Sample) in s.processed }), ("failed", { $0.failed }), ("enqueued", { $0.enqueued })] {
            let rates = overview.rates(ref, value)
            spans += [("  \(name) ", .dim), (Sparkline.text(rates, width: 8), name == "failed" ? .warning : .accent),
                      (" " + (rates.last.map(CompactNumber.rate) ?? "-") + "/s", .plain)]
        }
        let problems = session.thresholds.metrics(stats, pause: nil, now: 0).compactMap(\.problem)
        if let usage = stats.usagePercent { spans.append(("  usage \(Int(usage))%", .plain)) }
        if stats.config.paused { spans.append(("  paused", .warning)) }
        if !problems.isEmpty { spans.append(("  " + problems.joined(separator: "; "), judge(stats).style)) }
        screen.line(spans)
    }

    /// The status `check` would give with the config file's thresholds,
    /// else `stats`' own (WARN at 80% of max_length, CRIT at 95%); a
    /// paused queue within its limits shows PAUS.
    func judge(_ stats: QueueStats) -> (text: String, style: Style) {
        let level: CheckLevel
        if session.thresholds.isEmpty {
            level = stats.status == .crit ? .critical : stats.status == .warn ? .warning : .ok
        } else {
            level = CheckLevel.worst(session.thresholds.metrics(stats, pause: nil, now: 0).map(\.level))
        }
        switch level {
        case .ok: return stats.config.paused ? ("PAUS", .warning) : ("OK", .ok)
        case .warning: return ("WARN", .warning)
        case .critical: return ("CRIT", .critical)
        case .unknown: return ("UNKN", .warning)
        }
    }

    // MARK: - A queue

    func queue(_ view: TopQueueView, on screen: inout Screen) {
        screen.line(title("› \(view.queue) (\(view.ref.layoutName))"))
        if let stats = view.stats {
            var spans: [(text: String, style: Style)] = []
            for (name, value) in [("ready", stats.ready), ("delayed", stats.delayed), ("retry", stats.retry), ("dead", stats.dead),
                                  ("inflight", stats.inflight)] {
                spans += [("\(name) ", .dim), ("\(value)  ", .plain)]
            }
            let status = judge(stats)
            spans += [("latency ", .dim), ((stats.latency.map(TimeText.humanDuration) ?? "-") + "  ", .plain), (status.text, status.style)]
            screen.line(spans)
        } else {
            screen.line("stats unavailable", .dim)
        }
        var tabs: [(text: String, style: Style)] = []
        for tab in TopQueueView.Tab.allCases {
            tabs.append((" \(tab.rawValue + 1) \(tab.title) ", tab == view.tab ? .selected : .plain))
            tabs.append((" ", .plain))
        }
        if view.tab == .dead, let filter = view.filter { tabs.append(("  filter: \(filter)", .accent)) }
        screen.line(tabs)
        let whenTitle = view.tab == .delayed || view.tab == .retry ? "DUE" : view.tab == .dead ? "FAILED" : "ENQUEUED"
        let textTitle = view.tab == .ready ? "PAYLOAD" : view.tab == .delayed ? "" : "LAST ERROR"
        func cells(_ id: String, _ when: String, _ attempts: String, _ text: String) -> String {
            let idText = id.count > 26 ? String(id.prefix(25)) + "…" : id
            return idText.padding(26) + " " + when.padding(10) + " " + attempts.leftPadding(4) + "  " + text
        }
        screen.line(cells("ID", whenTitle, "ATT", textTitle), .bold)
        let rows = Self.listRows(session.size.rows)
        if let failure = view.failure {
            screen.line(failure, .critical)
        } else if view.rows.isEmpty {
            screen.line("no \(view.tab.title) messages\(view.filter == nil ? "" : " matching the filter")", .dim)
        }
        for (index, row) in view.rows.enumerated().prefix(rows) {
            screen.line(cells(row.id, row.when, row.attempts, firstLine(row.text)), index == view.selected ? .selected : .plain)
        }
        screen.fill(leaving: session.size.rows - 4 - rows)
        screen.line(String(repeating: "─", count: width), .dim)
        for line in view.detail.flatMap({ Self.wrap($0, width: width) }).prefix(max(0, screen.freeRows - 2)) { screen.line(line) }
        let keys: String
        switch view.tab {
        case .ready: keys = "↑↓ select  "
        case .delayed: keys = "n run now  "
        case .retry: keys = "n/N run now  x/X to dead  "
        case .dead: keys = "r/R replay  x/X delete  / filter  "
        }
        footer(keys + "p pause  1-4 tabs  esc back  ? help  q quit", on: &screen)
    }

    /// A line cut into lines of at most `width` characters, at spaces
    /// where it can.
    static func wrap(_ line: String, width: Int) -> [String] {
        guard line.count > width, width > 0 else { return [line] }
        var lines: [String] = []
        var rest = Substring(line)
        while rest.count > width {
            let cut = rest.prefix(width).lastIndex(of: " ").flatMap { $0 > rest.startIndex ? $0 : nil } ?? rest.index(rest.startIndex, offsetBy: width)
            lines.append(String(rest[..<cut]))
            rest = rest[cut...].drop { $0 == " " }
        }
        if !rest.isEmpty { lines.append(String(rest)) }
        return lines
    }

    // MARK: - Help

    func help(_ screen: inout Screen) {
        screen.line(title("help"))
        screen.line()
        let lines = [
            ("Overview", ""),
            ("  ↑ ↓ j k, PgUp PgDn, g G", "select a queue"),
            ("  ⏎ → l", "open it: its ready, delayed, retry and dead messages"),
            ("  p", "pause or resume the selected queue"),
            ("  R", "read the list of queues again (new queues, layouts)"),
            ("A queue", ""),
            ("  1 2 3 4, Tab, Shift-Tab", "ready, delayed, retry, dead"),
            ("  r / R", "replay the selected dead letter / all (matching the filter)"),
            ("  x / X", "delete dead letters; in retry, move to dead"),
            ("  n / N", "run the selected delayed or retry message now / all retries"),
            ("  /", "filter dead letters: a regular expression on the last error, or payload:TEXT"),
            ("  esc ← h", "back to the overview"),
            ("Everywhere", ""),
            ("  q, Ctrl-C", "leave"),
            ("", ""),
            ("Every action runs the mqctl command it names (dlq replay, dlq purge, retry kill, ...):", ""),
            ("its dry run counts first, you answer y, it takes the same locks and writes the same audit entry.", ""),
            ("STAT is what `mqctl check` would say with the config file's [check] thresholds.", ""),
        ]
        for (keys, text) in lines {
            screen.line([(keys.padding(28), text.isEmpty ? .heading : .bold), (text, .plain)])
        }
        screen.fill(leaving: 1)
        screen.line("any key closes the help", .dim)
    }
}

extension String {
    /// Padded with spaces to `width` characters on the right (cut when longer).
    func padding(_ width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }

    func leftPadding(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
