import FoundationEssentials
import Glibc

/// JSON text written by hand: Foundation's JSONSerialization sorts keys
/// with locale-aware comparison, which cost more than everything else a
/// worker does per message.
public enum JSONText {
    /// A JSON string literal for `text`.
    public static func quote(_ text: String) -> String {
        // Most text needs no escaping: copy it whole.
        if !text.utf8.contains(where: needsEscape) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(printf: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Bytes JSON cannot hold as they are inside a string.
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Appends `text` quoted: most text needs no escaping and is copied whole.
    public static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            if !bytes.contains(where: needsEscape) {
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: bytes)
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: quote(String(decoding: bytes, as: UTF8.self)).utf8)
            }
        }
    }

    /// A JSON object of strings, keys sorted by their bytes.
    public static func object(_ pairs: [String: String]) -> String {
        "{" + pairs.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { quote($0.key) + ":" + quote($0.value) }.joined(separator: ",") + "}"
    }
}
