import MQFormat

/// RFC 6901 JSON pointers (`/a/b/0`) into parsed JSON, read and written,
/// and JSON text written back from a `JSONValue`. Layouts name the fields
/// of other programs' messages this way.
public struct JSONPointer: Equatable, Sendable, CustomStringConvertible {
    public let tokens: [String]

    /// `text` is a pointer (`/retry_count`) or, for convenience, a bare
    /// top-level name (`retry_count`).
    public init(_ text: String) {
        guard text.hasPrefix("/") else {
            tokens = [text]
            return
        }
        tokens = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).replacingLiteral("~1", with: "/").replacingLiteral("~0", with: "~")
        }
    }

    public var description: String {
        "/" + tokens.map { $0.replacingLiteral("~", with: "~0").replacingLiteral("/", with: "~1") }
            .joined(separator: "/")
    }

    /// The value the pointer names in `root`, or nil when there is none.
    public func value(in root: JSONValue) -> JSONValue? {
        var current = root
        for token in tokens {
            switch current {
            case .object(let members):
                guard let member = members.last(where: { $0.name == token }) else { return nil }
                current = member.value
            case .array(let elements):
                guard let index = Int(token), elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    /// `root` with the pointer's value set to `value`; objects on the way
    /// are created where missing, other members keep their order.
    public func setting(_ value: JSONValue, in root: JSONValue) -> JSONValue {
        Self.set(value, tokens[...], in: root)
    }

    private static func set(_ value: JSONValue, _ tokens: ArraySlice<String>, in node: JSONValue) -> JSONValue {
        guard let token = tokens.first else { return value }
        switch node {
        case .array(var elements):
            if let index = Int(token), elements.indices.contains(index) {
                elements[index] = set(value, tokens.dropFirst(), in: elements[index])
                return .array(elements)
            }
            return node
        case .object(var members):
            if let index = members.lastIndex(where: { $0.name == token }) {
                members[index] = JSONMember(name: token, value: set(value, tokens.dropFirst(), in: members[index].value))
            } else {
                members.append(JSONMember(name: token, value: set(value, tokens.dropFirst(), in: .object([]))))
            }
            return .object(members)
        default:
            return set(value, tokens, in: .object([]))
        }
    }
}

extension JSONValue {
    /// Compact JSON text.
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .integer(let value): out += String(value)
        case .number(let value): out += value.isFinite ? "\(value)" : "null"
        case .string(let text): out += JSONText.quote(text)
        case .array(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                out += JSONText.quote(member.name)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }
}
