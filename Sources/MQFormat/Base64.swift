import FoundationEssentials
import Glibc

/// Standard base64 (RFC 4648, with padding), for payloads that are not UTF-8.
public enum Base64 {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    public static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { Array($0) }
    }
}
