import ArgumentParser
import MQFormat
import MQParsing
import MQRedis

/// Options every command takes (DESIGN.md §4). They may also stand before
/// the command name: `mqctl -u URL ping` (see `MQCtl.hoistGlobalOptions`).
public struct GlobalOptions: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp(
        "Redis URL: redis://[user[:password]@]host[:port][/db], rediss://... (TLS), redis-sentinel://host:port[,host:port...]/MASTER[/db] or unix:///path.sock[?db=N].",
        discussion: "Default: $MQCTL_URL, then $REDIS_URL, then redis://127.0.0.1:6379/0.",
        valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp(
        "Connect as the named context of the config file says (see `mqctl context`); its settings fill in what the command line and MQCTL_* variables leave out.",
        discussion: "Default: $MQCTL_CONTEXT, then the file's current_context.",
        valueName: "name"))
    var context: String?

    @Option(help: "ACL user name (overrides the URL's).")
    var user: String?

    @Option(help: ArgumentHelp(
        "Read the password from this file (first line).",
        discussion: "Else the URL's password, then $MQCTL_PASSWORD, then $REDISCLI_AUTH.",
        valueName: "path"))
    var passwordFile: String?

    @Option(help: "Key prefix of mqctl's keys (default: $MQCTL_PREFIX, else mq).")
    var prefix: String?

    @Option(help: ArgumentHelp(
        "The config file with layouts (default: $MQCTL_CONFIG, else ${XDG_CONFIG_HOME:-~/.config}/mqctl/config.toml when it exists).",
        valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Read the queues named as queues of this layout (see `mqctl layouts list`; `native` for mqctl's own).",
                               valueName: "name"))
    var layout: String?

    @Option(name: [.customShort("o"), .long],
            help: "Output format: table, wide (every field), json, ndjson, json-seq, csv, name (ids only); stats also prometheus.")
    var format: OutputFormat?

    @Flag(help: "Shorthand for --format json.")
    var json = false

    // Durations and times parse through a transform, not
    // ExpressibleByArgument, so the parser's own message reaches the user.
    // At most a day: poll(2) takes Int32 milliseconds, which end at 24.8 days.
    @Option(help: "Limit for connecting and for each reply, e.g. 500ms (default 5s, at most 1d).",
            transform: { try DurationValue(parsing: $0, upTo: .oneDay) })
    var timeout = DurationValue(milliseconds: 5000)

    @Flag(name: [.short, .long], help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: [.short, .long], help: "Answer yes to confirmations (needed for destructive commands without a terminal).")
    var yes = false

    @Flag(help: "No colour in output, as --color never.")
    var noColor = false

    @Option(help: "Colour in tables: auto (on a terminal, unless $NO_COLOR is set and not empty), always or never.")
    var color: ColorChoice = .auto

    @Flag(help: "Do not cut table cells to the terminal's width.")
    var noTrunc = false

    @Flag(help: "Connect with TLS (as a rediss:// URL does); the TLS options below imply it.")
    var tls = false

    @Option(help: ArgumentHelp("Trust the CAs in this PEM file instead of the system's.", valueName: "file"))
    var cacert: String?

    @Option(help: ArgumentHelp("Trust the CAs in this directory (c_rehash layout).", valueName: "dir"))
    var cacertdir: String?

    @Option(help: ArgumentHelp("Client certificate (PEM) for servers that ask for one.", valueName: "file"))
    var cert: String?

    @Option(help: ArgumentHelp("Private key (PEM) of --cert.", valueName: "file"))
    var key: String?

    @Option(help: ArgumentHelp("Server name to send (SNI) and to check the certificate against.", valueName: "name"))
    var sni: String?

    @Flag(help: "Do not check the server's certificate or name (warned each time).")
    var insecure = false

    /// TLS options to apply, or nil when none was given.
    var tlsOptions: TLSOptions? {
        guard tls || cacert != nil || cacertdir != nil || cert != nil || key != nil || sni != nil || insecure else { return nil }
        return TLSOptions(caFile: cacert, caDirectory: cacertdir, certificate: cert, key: key, serverName: sni, insecure: insecure)
    }

    public init() {}

    public func validate() throws {
        if noColor, color == .always {
            throw ValidationError("--no-color and --color always disagree; give one of them")
        }
        if json, let format, format != .json {
            throw ValidationError("--json and --format \(format.rawValue) disagree; give one of them")
        }
        if timeout.milliseconds <= 0 {
            throw ValidationError("--timeout must be above zero")
        }
        if key != nil, cert == nil {
            throw ValidationError("--key needs --cert")
        }
    }

    /// Options that take a value, long and short spellings, for hoisting.
    static let valueOptions: Set<String> = [
        "--url", "-u", "--context", "--user", "--password-file", "--prefix", "--config", "--layout", "--format", "-o", "--timeout",
        "--cacert", "--cacertdir", "--cert", "--key", "--sni", "--color",
    ]
    static let flagOptions: Set<String> = ["--json", "--quiet", "-q", "--yes", "-y", "--no-color", "--no-trunc", "--tls", "--insecure"]
}

/// `--color`: when tables are coloured.
enum ColorChoice: String, CaseIterable, ExpressibleByArgument {
    case auto, always, never

    /// Whether to colour output to `terminal`: the NO_COLOR convention
    /// (no-color.org) counts the variable only when it is set and not empty.
    func enabled(terminal: Bool, environment: [String: String]) -> Bool {
        switch self {
        case .always: true
        case .never: false
        case .auto: terminal && (environment["NO_COLOR"] ?? "").isEmpty
        }
    }
}
