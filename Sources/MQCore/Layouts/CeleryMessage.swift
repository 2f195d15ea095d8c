import FoundationEssentials
import Glibc
import MQParsing

/// A task message as Celery 5's `send_task` publishes it over kombu's
/// Redis transport (task protocol 2 in kombu's JSON envelope), made from
/// `{"task": "name", "args": [...], "kwargs": {...}}`: the body is the
/// base64 of `[args, kwargs, embed]`, the headers name the task and its
/// id, the properties carry kombu's delivery info. The task must be
/// registered in the workers: mqctl names it, Celery looks it up.
enum CeleryMessage {
    static func envelope(_ payload: [UInt8], index: Int, queue: QueueName, priority: Int64, eta: Int64?) throws -> [UInt8] {
        let fail = { (why: String) in
            MQError.layoutRefused("message \(index + 1): \(why), as a Celery task is named ({\"task\": \"name\", \"args\": [...], \"kwargs\": {...}}); nothing was enqueued")
        }
        let root: [JSONMember]
        do { root = try JSONReader.object(payload) } catch { throw fail("is not a JSON object (\(error))") }
        let value = { (name: String) in root.first { $0.name == name }?.value }
        if let unknown = root.first(where: { !["task", "args", "kwargs"].contains($0.name) }) {
            throw fail("has \"\(unknown.name)\", which mqctl does not write")
        }
        guard case .string(let task)? = value("task"), !task.isEmpty else { throw fail("needs \"task\", the registered task's name") }
        let (args, kwargs) = try Python.callArguments(args: value("args"), kwargs: value("kwargs"), fail: fail)
        let id = JSONValue.string(UUID().uuidString.lowercased())
        let embed = JSONValue.object(["callbacks", "errbacks", "chain", "chord"].map { JSONMember(name: $0, value: .null) })
        let body = Array(JSONValue.array([.array(args), .object(kwargs), embed]).text.utf8)
        let host = ProcessInfo.processInfo.hostName
        func member(_ name: String, _ value: JSONValue) -> JSONMember { JSONMember(name: name, value: value) }
        let headers: [JSONMember] = [
            member("lang", .string("py")), member("task", .string(task)), member("id", id), member("shadow", .null),
            member("eta", eta.map { Layout.TimeUnit.rfc3339.json($0) } ?? .null), member("expires", .null),
            member("group", .null), member("group_index", .null), member("retries", .integer(0)),
            member("timelimit", .array([.null, .null])), member("root_id", id), member("parent_id", .null),
            member("argsrepr", .string(Python.repr(tuple: args))), member("kwargsrepr", .string(Python.repr(.object(kwargs)))),
            member("origin", .string("mqctl@\(host)")), member("ignore_result", .bool(false)),
        ]
        let properties: [JSONMember] = [
            member("correlation_id", id), member("reply_to", .string(UUID().uuidString.lowercased())), member("delivery_mode", .integer(2)),
            member("delivery_info", .object([member("exchange", .string("")), member("routing_key", .string(queue.rawValue))])),
            member("priority", .integer(priority)), member("body_encoding", .string("base64")),
            member("delivery_tag", .string(UUID().uuidString.lowercased())),
        ]
        let envelope = JSONValue.object([
            member("body", .string(Data(body).base64EncodedString())), member("content-encoding", .string("utf-8")),
            member("content-type", .string("application/json")), member("headers", .object(headers)),
            member("properties", .object(properties)),
        ])
        return Array(envelope.text.utf8)
    }
}
