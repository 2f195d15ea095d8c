import FoundationEssentials
import Glibc
import MQParsing

/// A job as RQ's Queue.enqueue writes it, made from
/// `{"func": "module.function", "args": [...], "kwargs": {...}}` (and an
/// optional `"timeout"` in seconds): the hash `rq:job:ID` whose `data` is
/// the zlib-compressed pickle of (func_name, None, args, kwargs), as RQ's
/// DefaultSerializer and Job.data make it. The function must already exist
/// in the workers' code: mqctl names it, RQ imports it.
struct RQJob {
    let id: String
    let fields: [(String, [UInt8])]

    init(_ payload: [UInt8], index: Int, queue: QueueName, now: Int64, scheduled: Bool) throws {
        let fail = { (why: String) in
            MQError.layoutRefused("message \(index + 1): \(why), as an RQ job is named ({\"func\": \"module.function\", \"args\": [...], \"kwargs\": {...}}); nothing was enqueued")
        }
        let root: [JSONMember]
        do { root = try JSONReader.object(payload) } catch { throw fail("is not a JSON object (\(error))") }
        let value = { (name: String) in root.first { $0.name == name }?.value }
        if let unknown = root.first(where: { !["func", "args", "kwargs", "timeout"].contains($0.name) }) {
            throw fail("has \"\(unknown.name)\", which mqctl does not write")
        }
        // RQ imports the function by its dotted path: module.attribute.
        guard case .string(let function)? = value("func"), function.contains("."),
              function.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ Self.isIdentifier($0) }) else {
            throw fail("needs \"func\", a dotted path such as \"app.tasks.send\"")
        }
        let (args, kwargs) = try Python.callArguments(args: value("args"), kwargs: value("kwargs"), fail: fail)
        var timeout: Int64 = 180  // Queue.DEFAULT_TIMEOUT
        switch value("timeout") {
        case nil: break
        case .integer(let seconds)? where seconds > 0: timeout = seconds
        default: throw fail("\"timeout\" must be whole seconds above 0")
        }
        id = UUID().uuidString.lowercased()
        let data = Zlib.deflate(Python.pickle(tuple: [.value(.string(function)), .value(.null), .tuple(args), .value(.object(kwargs))]))
        let call = (args.map(Python.repr) + kwargs.map { "\($0.name)=\(Python.repr($0.value))" }).joined(separator: ", ")
        let stamp = Array(Layout.TimeUnit.utcMicroseconds.text(now).utf8)
        fields = [
            ("status", Array((scheduled ? "scheduled" : "queued").utf8)), ("created_at", stamp), ("data", data),
            ("origin", Array(queue.rawValue.utf8)), ("description", Array("\(function)(\(call))".utf8)),
            ("timeout", Array(String(timeout).utf8)),
        ] + (scheduled ? [] : [("enqueued_at", stamp)])
    }

    private static func isIdentifier(_ part: Substring) -> Bool {
        guard let first = part.unicodeScalars.first, first == "_" || first.properties.isXIDStart else { return false }
        return part.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isXIDContinue }
    }
}
