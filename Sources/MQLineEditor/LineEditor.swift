import CLibEdit
import CLineEditShim
import Glibc

/// Line editing for the REPL: libedit with emacs key bindings, `~/.editrc`,
/// a de-duplicated and capped history file, and tab completion.
public final class LineEditor {
    public enum Input: Equatable {
        case line(String)
        /// Ctrl-C while editing: the line was abandoned.
        case interrupted
        /// Ctrl-D on an empty line, or end of input.
        case end
    }

    private let editor: OpaquePointer
    private let history: OpaquePointer
    private let historyPath: String?

    /// `completer` gets the line up to the cursor and returns candidates
    /// for its last word.
    public init(program: String, historyPath: String?, historySize: Int32 = 1000,
                completer: @escaping (String) -> [String]) {
        editor = el_init(program, StandardStreams.input, StandardStreams.output, StandardStreams.error)
        history = history_init()
        self.historyPath = historyPath
        mq_history_set_size(history, historySize)
        mq_history_set_unique(history, 1)
        if let historyPath { mq_history_load(history, historyPath) }
        mq_el_set_history(editor, history)
        mq_el_set_editor(editor, "emacs")
        mq_el_set_signal(editor, 0)
        mq_el_set_prompt(editor, lineEditorPrompt)
        LineEditor.completer = completer
        mq_el_bind(editor, "^I", "mq-complete", "complete a word", lineEditorComplete)
        // A Ctrl-D typed while a command runs reaches us as a NUL: the
        // terminal is in cooked mode then, where Ctrl-D marks an end of
        // file, and that mark reads as a zero byte once libedit turns
        // cooked mode off for the prompt. On an empty line it still means
        // leave; elsewhere NUL does nothing, as Ctrl-Space would.
        mq_el_bind(editor, "^@", "mq-typed-ahead-eof", "end of input typed ahead", lineEditorTypedAheadEnd)
        el_source(editor, nil) // ~/.editrc, when there is one
    }

    deinit {
        save()
        el_end(editor)
        history_end(history)
    }

    public func readLine(prompt: String) -> Input {
        LineEditor.prompt = prompt
        var count: Int32 = 0
        errno = 0
        guard let raw = el_gets(editor, &count) else {
            return errno == EINTR ? .interrupted : .end
        }
        if count < 0 { return .interrupted }
        var line = String(cString: raw)
        while line.hasSuffix("\n") || line.hasSuffix("\r") { line.removeLast() }
        return .line(line)
    }

    /// Adds a line to the history (the caller leaves out lines with
    /// secrets), trimmed, and not again when it repeats the newest entry:
    /// `use orders ` and `use orders` are one line to the person recalling it.
    public func remember(_ line: String) {
        let trimmed = Self.trimmed(line)
        guard !trimmed.isEmpty else { return }
        if let newest = mq_history_newest(history), String(cString: newest) == trimmed { return }
        mq_history_enter(history, trimmed)
    }

    static func trimmed(_ line: String) -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(line.drop(while: blank).reversed().drop(while: blank).reversed())
    }

    public func save() {
        guard let historyPath else { return }
        mq_history_save(history, historyPath)
        chmod(historyPath, 0o600)
    }

    // libedit calls plain C functions: the prompt and completer live in
    // statics, one editor per process. `nonisolated(unsafe)` is sound
    // because libedit is single-threaded: these are set by `init` and
    // `readLine` and read by the callbacks inside `el_gets`, all on the
    // thread that drives the editor (the REPL's), never concurrently.
    nonisolated(unsafe) static var prompt = "" {
        didSet {
            free(promptBuffer)
            promptBuffer = strdup(prompt)
        }
    }
    nonisolated(unsafe) static var promptBuffer: UnsafeMutablePointer<CChar>? = strdup("")
    nonisolated(unsafe) static var completer: (String) -> [String] = { _ in [] }

    /// What a completion inserts: the rest of the only candidate and a
    /// space, else the candidates' common prefix; the candidates to list
    /// when the prefix adds nothing.
    public static func completion(for word: String, candidates: [String]) -> (insert: String, list: [String]) {
        let matches = Array(Set(candidates.filter { $0.hasPrefix(word) })).sorted()
        guard let first = matches.first else { return ("", []) }
        if matches.count == 1 { return (String(first.dropFirst(word.count)) + " ", []) }
        var common = first
        for match in matches.dropFirst() {
            while !match.hasPrefix(common) { common.removeLast() }
        }
        let insert = String(common.dropFirst(word.count))
        return (insert, insert.isEmpty ? matches : [])
    }
}

private let lineEditorPrompt: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>? = { _ in
    LineEditor.promptBuffer
}

private let lineEditorTypedAheadEnd: @convention(c) (OpaquePointer?, Int32) -> UInt8 = { editor, _ in
    guard let editor, let info = el_line(editor)?.pointee, info.buffer == info.lastchar else { return UInt8(CC_NORM) }
    return UInt8(CC_EOF)
}

private let lineEditorComplete: @convention(c) (OpaquePointer?, Int32) -> UInt8 = { editor, _ in
    guard let editor, let info = el_line(editor)?.pointee, let start = info.buffer, let cursor = info.cursor else {
        return UInt8(CC_ERROR)
    }
    let before = String(decoding: UnsafeRawBufferPointer(start: start, count: cursor - start).bindMemory(to: UInt8.self), as: UTF8.self)
    let word = String(before.reversed().prefix { $0 != " " }.reversed())
    let result = LineEditor.completion(for: word, candidates: LineEditor.completer(before))
    if !result.insert.isEmpty {
        el_insertstr(editor, result.insert)
        return UInt8(CC_REFRESH)
    }
    guard !result.list.isEmpty else { return UInt8(CC_ERROR) }
    fputs("\n" + result.list.joined(separator: "  ") + "\n", StandardStreams.output)
    return UInt8(CC_REDISPLAY)
}
