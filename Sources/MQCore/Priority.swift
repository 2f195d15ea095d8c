/// A ready tier. Tiers are strict: every express message is fetched before
/// any urgent one, and urgent before normal. `allCases` is fetch order.
public enum Priority: String, CaseIterable, Sendable, Comparable {
    case express, urgent, normal

    public static func < (lhs: Priority, rhs: Priority) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    public init(parsing text: String) throws {
        guard let priority = Priority(rawValue: text.lowercased()) else {
            throw MQError.invalidPriority(text)
        }
        self = priority
    }
}
