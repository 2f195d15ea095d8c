import Glibc
import MQCore
import MQFormat
import MQRedis
import MQTerminal

/// The dashboard's loop: refresh every interval (at once after a key that
/// changes what is shown, a resize or an action), draw, wait for a key.
/// The terminal is put back on every way out: `q`, Ctrl-C, SIGTERM,
/// an error.
final class TopSession {
    enum Prompt {
        case none
        case help
        /// An action counted and waiting for y.
        case confirm(TopAction)
        /// The `/` line being typed.
        case filter(String)
    }

    let context: CommandContext
    let terminal: Terminal
    let broker: Broker
    let commands: TopCommands
    let interval: Double
    let palette: Palette
    let thresholds: QueueThresholds
    let names: [String]
    var overview: TopOverview
    var queueView: TopQueueView?
    var prompt = Prompt.none
    /// The line above the footer: an action's result or an error.
    var message: (text: String, style: Style)?

    init(context: CommandContext, globals: GlobalOptions, names: [String], interval: Double, terminal: Terminal) throws {
        self.context = context
        self.terminal = terminal
        self.interval = interval
        self.names = names
        broker = try context.broker()
        commands = TopCommands(inherited: InheritedOptions(context: context, globals: globals, output: false), connection: broker.connection)
        palette = Palette.detect(environment: context.environment, colorAllowed: context.color)
        // Paused-for thresholds need the audit log read: not on every refresh.
        var thresholds = try context.layoutFile().checkThresholds
        thresholds.paused = QueueThresholds.Durations()
        self.thresholds = thresholds
        overview = TopOverview(refs: try context.queues(names))
    }

    func run() {
        terminal.enter()
        defer { terminal.restore() }
        Interruption.catchingTermination {
            var due = 0.0
            while !Interruption.requested {
                let now = monotonicSeconds()
                if now >= due {
                    refresh()
                    due = now + interval
                }
                draw()
                let key = terminal.readKey(timeout: max(0, due - monotonicSeconds()))
                if terminal.takeResize() { due = 0 }
                guard let key else { continue }
                switch handle(key) {
                case .quit: return
                case .refresh: due = 0
                case .redraw: break
                }
            }
        }
    }

    // MARK: - Refreshing and drawing

    var size: (rows: Int, columns: Int) { terminal.size }

    func refresh() {
        if var view = queueView {
            view.refresh(commands, broker: broker, rows: TopDrawing.listRows(size.rows))
            queueView = view
        } else {
            overview.refresh(broker: broker, rows: TopDrawing.overviewRows(size.rows), now: monotonicSeconds())
        }
    }

    func draw() {
        var screen = Screen(rows: size.rows, columns: size.columns)
        let drawing = TopDrawing(session: self)
        if case .help = prompt {
            drawing.help(&screen)
        } else if let view = queueView {
            drawing.queue(view, on: &screen)
        } else {
            drawing.overview(on: &screen)
        }
        terminal.write(screen.render(palette: palette))
    }

    // MARK: - Keys

    enum Next { case quit, refresh, redraw }

    func handle(_ key: Key) -> Next {
        if key == .interrupt { return .quit }
        switch prompt {
        case .help:
            prompt = .none
            return .redraw
        case .confirm(let action):
            prompt = .none
            guard key == .character("y") || key == .character("Y") else {
                message = ("not done: " + action.question.dropLast(7), .dim)
                return .redraw
            }
            perform(action)
            return .refresh
        case .filter(let text):
            return typeFilter(text, key)
        case .none:
            break
        }
        switch key {
        case .character("q"): return .quit
        case .character("?"):
            prompt = .help
            return .redraw
        default:
            return queueView == nil ? overviewKey(key) : queueKey(key)
        }
    }

    private func overviewKey(_ key: Key) -> Next {
        let page = TopDrawing.overviewRows(size.rows)
        switch key {
        case .up, .character("k"): overview.selected -= 1
        case .down, .character("j"): overview.selected += 1
        case .pageUp: overview.selected -= page
        case .pageDown: overview.selected += page
        case .home, .character("g"): overview.selected = 0
        case .end, .character("G"): overview.selected = overview.refs.count - 1
        case .enter, .right, .character("l"):
            guard let ref = overview.selectedRef else { return .redraw }
            queueView = TopQueueView(ref: ref)
            message = nil
        case .character("p"):
            guard let ref = overview.selectedRef else { return .redraw }
            ask(.pause(ref.name.rawValue, paused: overview.reading(ref)?.stats?.config.paused ?? false))
            return .redraw
        case .character("R"):
            do {
                overview.refs = TopOverview(refs: try context.queues(names)).refs
                message = ("\(overview.refs.count) queues", .dim)
            } catch {
                message = ("\(error)", .critical)
            }
        default:
            return .redraw
        }
        overview.scroll(rows: page)
        return .refresh
    }

    private func queueKey(_ key: Key) -> Next {
        guard var view = queueView else { return .redraw }
        defer { queueView = view }
        let page = TopDrawing.listRows(size.rows)
        let ids = view.selectedID.map { [$0] } ?? []
        switch key {
        case .escape, .backspace, .left, .character("h"):
            queueView = nil
            view = TopQueueView(ref: view.ref)
            message = nil
            return .refresh
        case .tab, .backTab:
            let step = key == .tab ? 1 : TopQueueView.Tab.allCases.count - 1
            view.tab = TopQueueView.Tab(rawValue: (view.tab.rawValue + step) % TopQueueView.Tab.allCases.count)!
            view.selected = 0
        case .character(let digit) where ("1"..."4").contains(digit):
            view.tab = TopQueueView.Tab(rawValue: Int(String(digit))! - 1)!
            view.selected = 0
        case .up, .character("k"): view.selected = max(0, view.selected - 1)
        case .down, .character("j"): view.selected = min(max(0, view.rows.count - 1), view.selected + 1)
        case .pageUp: view.selected = max(0, view.selected - page)
        case .pageDown: view.selected = min(max(0, view.rows.count - 1), view.selected + page)
        case .character("/") where view.tab == .dead:
            prompt = .filter(view.filter ?? "")
            return .redraw
        case .character("r") where view.tab == .dead && !ids.isEmpty: ask(.replay(view.queue, ids: ids, filter: []))
        case .character("R") where view.tab == .dead: ask(.replay(view.queue, ids: [], filter: view.filterOptions))
        case .character("x") where view.tab == .dead && !ids.isEmpty: ask(.purge(view.queue, ids: ids, filter: []))
        case .character("X") where view.tab == .dead: ask(.purge(view.queue, ids: [], filter: view.filterOptions))
        case .character("n") where (view.tab == .delayed || view.tab == .retry) && !ids.isEmpty:
            ask(.runNow(view.queue, tab: view.tab, ids: ids))
        case .character("N") where view.tab == .retry: ask(.runNow(view.queue, tab: .retry, ids: []))
        case .character("x") where view.tab == .retry && !ids.isEmpty: ask(.kill(view.queue, ids: ids))
        case .character("X") where view.tab == .retry: ask(.kill(view.queue, ids: []))
        case .character("p"): ask(.pause(view.queue, paused: view.stats?.config.paused ?? false))
        default:
            return .redraw
        }
        if case .confirm = prompt { return .redraw }
        return .refresh
    }

    private func typeFilter(_ text: String, _ key: Key) -> Next {
        switch key {
        case .enter:
            prompt = .none
            queueView?.filter = text.isEmpty ? nil : text
            queueView?.selected = 0
            if !text.isEmpty, !text.hasPrefix("payload:"), (try? ErrorPattern(text)) == nil {
                message = ("'\(text)' is not a valid regular expression", .critical)
                queueView?.filter = nil
            }
            return .refresh
        case .escape:
            prompt = .none
            return .redraw
        case .backspace:
            prompt = .filter(String(text.dropLast()))
        case .character(let character):
            prompt = .filter(text + String(character))
        default:
            break
        }
        return .redraw
    }

    // MARK: - Actions

    /// Counts what `action` would change (its dry run) and asks; says so
    /// when there is nothing to do or the count fails.
    private func ask(_ action: TopAction) {
        guard action.countsFirst else {
            prompt = .confirm(action)
            return
        }
        let dryRun = commands.run(action.words + ["--dry-run"])
        guard dryRun.code == 0, let count = TopAction.count(dryRun) else {
            message = ("\(action.words.prefix(2).joined(separator: " ")): \(dryRun.error ?? "no count")", .critical)
            return
        }
        guard count > 0 else {
            message = ("nothing to \(action.verb.lowercased()): the dry run counts 0 \(action.noun ?? "")", .dim)
            return
        }
        var counted = action
        counted.count = count
        prompt = .confirm(counted)
    }

    private func perform(_ action: TopAction) {
        let outcome = commands.run(action.words + ["--yes"])
        let command = "mqctl " + action.words.joined(separator: " ")
        message = outcome.code == 0 ? ("\(command): \(TopAction.summary(outcome))", .ok) : ("\(command): \(outcome.error ?? "failed")", .critical)
    }
}
