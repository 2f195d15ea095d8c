import CHiredis
import Glibc

/// Encodes commands as RESP with hiredis's `redisFormatCommandArgv`: every
/// argument goes as a length-prefixed bulk string, never through a format
/// string.
enum RESPEncoder {
    static func append(_ command: RedisCommand, to buffer: inout [UInt8]) {
        let count = command.ends.count
        withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: count) { pointers in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { lengths in
                // A stand-in byte gives a valid base address when every
                // argument is empty; lengths keep it from being read.
                (command.bytes.isEmpty ? [0] : command.bytes).withUnsafeBufferPointer { base in
                    let start = UnsafeRawPointer(base.baseAddress!).assumingMemoryBound(to: CChar.self)
                    var offset = 0
                    for (index, end) in command.ends.enumerated() {
                        pointers[index] = start + offset
                        lengths[index] = end - offset
                        offset = end
                    }
                    var target: UnsafeMutablePointer<CChar>?
                    let length = redisFormatCommandArgv(&target, Int32(count), pointers.baseAddress, lengths.baseAddress)
                    guard length >= 0, let target else { fatalError("redisFormatCommandArgv: out of memory") }
                    defer { redisFreeCommand(target) }
                    UnsafeRawBufferPointer(start: target, count: Int(length)).withMemoryRebound(to: UInt8.self) {
                        buffer.append(contentsOf: $0)
                    }
                }
            }
        }
    }
}

/// Decodes RESP with hiredis's reader. Owns the C reader; each reply is
/// copied into a `RedisReply` and freed at once.
final class RESPReader {
    private let reader: UnsafeMutablePointer<redisReader>

    init() {
        guard let reader = redisReaderCreate() else { fatalError("redisReaderCreate: out of memory") }
        self.reader = reader
    }

    deinit {
        redisReaderFree(reader)
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        let rc = redisReaderFeed(reader, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
        if rc != REDIS_OK { throw protocolError() }
    }

    /// The next complete reply, or nil when more bytes are needed.
    func next() throws -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else { throw protocolError() }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    private func protocolError() -> RedisClientError {
        let detail = withUnsafeBytes(of: &reader.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return .protocolError(detail.isEmpty ? "unreadable reply" : detail)
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(r.str, r.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(RedisServerError(message: String(decoding: bytes(r.str, r.len), as: UTF8.self)))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            items.reserveCapacity(r.elements)
            for index in 0..<r.elements {
                items.append(convert(r.element[index]!))
            }
            return .array(items)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }
}
