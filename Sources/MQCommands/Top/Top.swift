import ArgumentParser
import MQParsing
import MQTerminal

extension MQCtl {
    struct Top: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "top",
            abstract: "A live dashboard of the queues in the terminal, with actions on their messages.",
            discussion: """
                The overview has a row per queue (mqctl's own and each layout's, named in \
                LAYOUT): depth per state, latency, processed per second with a sparkline of \
                the last minutes, and STAT as `mqctl check` would judge it with the config \
                file's [check] thresholds (without them, WARN at 80% and CRIT at 95% of \
                max_length; PAUS for a paused queue within its limits). Above: Redis's memory, \
                ops/s, clients and the live workers. Below: the selected queue's processed, \
                failed and enqueued rates and what trips its thresholds.

                Enter opens a queue: tabs for its ready, delayed, retry and dead messages, \
                the selected one's payload (JSON pretty-printed, binary as base64) and \
                headers. Actions run the commands they are named after, in this process: \
                r/R replay dead letters (the selected one, or all matching the / filter), \
                x/X delete them, n/N run delayed or retry messages now, x/X in retry move \
                them to dead, p pauses or resumes the queue. Each is counted by its dry run \
                first and asked about (y to go on), and takes the same locks and writes the \
                same audit entry as the command. ? shows every key; q or Ctrl-C leaves, \
                SIGTERM too, and the terminal is put back as it was.

                A refresh reads Redis's INFO, the workers' heartbeats and the stats of the \
                queues on screen, or in a queue one page of its list and the selected \
                message: the number of commands depends on the screen's height, not on the \
                number of queues or messages (the footer shows it). The list of queues is \
                read at the start and again with R. Needs a terminal; colours follow --color, \
                NO_COLOR and TERM (256, 16 or none). For a pipe or a log use `stats --watch`.

                Example: mqctl top
                Example: mqctl top orders mail --interval 1s
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @Argument(help: "Queues to show (default: all).", completion: .queueNames)
        var queues: [String] = []

        @Option(help: "Time between refreshes (default 2s).", transform: DurationValue.init(parsing:))
        var interval = DurationValue(milliseconds: 2000)

        func validate() throws {
            guard interval.milliseconds >= 200 else { throw ValidationError("--interval must be at least 200ms") }
        }

        func run(in context: CommandContext) throws {
            // The server first: a Redis that does not answer is the news (69), terminal or not.
            _ = try context.broker()
            guard context.stdin.isTerminal, context.stdout.isTerminal, let terminal = Terminal(input: 0, output: 1) else {
                throw UsageError("top draws on a terminal; in a pipe or a log use `mqctl stats --watch` or `mqctl stats -o json`")
            }
            let session = try TopSession(context: context, globals: globals, names: queues, interval: interval.seconds, terminal: terminal)
            session.run()
        }
    }
}
