import CZlib

/// zlib, for what frameworks store compressed (RQ's job data and tracebacks).
enum Zlib {
    /// `bytes` as one zlib stream (what Python's zlib.compress makes).
    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = compress2(&output, &length, bytes, uLong(bytes.count), Z_DEFAULT_COMPRESSION)
        precondition(status == Z_OK, "compress2 with a buffer of compressBound cannot fail")
        return Array(output.prefix(Int(length)))
    }

    /// The inflated bytes, or nil when `bytes` is not a zlib stream. At
    /// most `limit` bytes come out: a traceback is shown, not archived.
    static func inflate(_ bytes: [UInt8], limit: Int = 1 << 20) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = bytes
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let status: Int32 = input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            var result = Z_OK
            repeat {
                result = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                output += chunk[0..<(chunk.count - Int(stream.avail_out))]
            } while result == Z_OK && output.count < limit && (stream.avail_in > 0 || stream.avail_out == 0)
            return result
        }
        return status == Z_STREAM_END || (status == Z_OK && output.count >= limit) ? Array(output.prefix(limit)) : nil
    }
}
