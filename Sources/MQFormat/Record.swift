/// A value in command output. Renderers decide how each case looks: in
/// JSON `seconds` is a number of seconds and `time` an RFC 3339 string; in a
/// table both are made readable.
public indirect enum FieldValue: Equatable, Sendable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case seconds(Double)
    /// Milliseconds since the epoch.
    case time(Int64)
    case object(Record)
    case list([FieldValue])
    case null
}

/// Named values in a fixed order: one row of a list, or one object.
/// Written as a dictionary literal, which keeps the order given.
public struct Record: Equatable, Sendable, ExpressibleByDictionaryLiteral {
    public var fields: [(name: String, value: FieldValue)]

    public init(_ fields: [(name: String, value: FieldValue)]) {
        self.fields = fields
    }

    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    public subscript(name: String) -> FieldValue? {
        fields.first { $0.name == name }?.value
    }

    /// Nested objects spread into `parent.child` names, for the flat
    /// formats (table, CSV).
    public var flattened: [(name: String, value: FieldValue)] {
        fields.flatMap { field -> [(name: String, value: FieldValue)] in
            guard case .object(let inner) = field.value else { return [field] }
            return inner.flattened.map { (name: "\(field.name).\($0.name)", value: $0.value) }
        }
    }

    public static func == (lhs: Record, rhs: Record) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}
