import MQFormat

/// A payload in a JSON line as `Records.payload` writes it: the text
/// itself, or base64 with "payload_encoding": "base64".
enum JSONPayload {
    static func decode(_ text: String, encoding: String?) throws -> [UInt8] {
        switch encoding {
        case nil: return Array(text.utf8)
        case "base64":
            guard let bytes = Base64.decode(text) else { throw UsageError("\"payload\" is not valid base64") }
            return bytes
        case let other?: throw UsageError("unknown payload_encoding '\(other)' (only base64)")
        }
    }
}
