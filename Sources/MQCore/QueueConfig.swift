/// A queue's settings, kept in the hash `P:{Q}:config`; absent fields take
/// the defaults below.
public struct QueueConfig: Equatable, Sendable {
    /// Ready plus delayed messages allowed; nil for no limit.
    public var maxLength: Int64?
    public var maxAttempts: Int64 = 25
    /// Dead letters kept: at most this many (0: no limit)...
    public var deadMax: Int64 = 10_000
    /// ...and none older than this (milliseconds; 180 days; 0: no limit).
    public var deadMaxAge: Int64 = 180 * 86_400_000
    public var paused = false

    public init() {}

    /// Field names in the hash.
    enum Field: String, CaseIterable {
        case maxLength = "max_length", maxAttempts = "max_attempts", deadMax = "dead_max"
        case deadMaxAge = "dead_max_age", paused
    }

    /// Reads the hash; a field that is not a number is an error, never a
    /// silent default.
    public init(fields: [String: String], key: String) throws {
        func number(_ field: Field) throws -> Int64? {
            guard let text = fields[field.rawValue] else { return nil }
            // The same bound as the scripts' `setting`: 15 digits.
            guard text.utf8.count <= 15, let value = Int64(text), value >= 0 else {
                throw MQError.corruptSetting(key: key, field: field.rawValue, value: text)
            }
            return value
        }
        let maxLength = try number(.maxLength)
        self.maxLength = maxLength == 0 ? nil : maxLength
        maxAttempts = try number(.maxAttempts) ?? maxAttempts
        deadMax = try number(.deadMax) ?? deadMax
        deadMaxAge = try number(.deadMaxAge) ?? deadMaxAge
        paused = try number(.paused).map { $0 != 0 } ?? false
    }

    /// Every field, for HSET (max_length 0 means no limit).
    var fields: [(String, String)] {
        [
            (Field.maxLength.rawValue, String(maxLength ?? 0)), (Field.maxAttempts.rawValue, String(maxAttempts)),
            (Field.deadMax.rawValue, String(deadMax)), (Field.deadMaxAge.rawValue, String(deadMaxAge)),
            (Field.paused.rawValue, paused ? "1" : "0"),
        ]
    }
}

/// Changes to a queue's settings; nil leaves a setting as it is. For
/// every limit, 0 means no limit.
public struct QueueConfigChange: Sendable {
    public var maxLength: Int64?
    public var maxAttempts: Int64?
    public var deadMax: Int64?
    public var deadMaxAge: Int64?

    public init(maxLength: Int64? = nil, maxAttempts: Int64? = nil, deadMax: Int64? = nil, deadMaxAge: Int64? = nil) {
        self.maxLength = maxLength
        self.maxAttempts = maxAttempts
        self.deadMax = deadMax
        self.deadMaxAge = deadMaxAge
    }

    public var isEmpty: Bool { maxLength == nil && maxAttempts == nil && deadMax == nil && deadMaxAge == nil }

    /// Whether this change sets the hash field `field`.
    func changes(_ field: String) -> Bool {
        switch QueueConfig.Field(rawValue: field) {
        case .maxLength: return maxLength != nil
        case .maxAttempts: return maxAttempts != nil
        case .deadMax: return deadMax != nil
        case .deadMaxAge: return deadMaxAge != nil
        case .paused, nil: return false
        }
    }

    func applied(to config: QueueConfig) throws -> QueueConfig {
        // The scripts read settings of at most 15 digits.
        func checked(_ value: Int64, _ field: QueueConfig.Field, minimum: Int64 = 0) throws -> Int64 {
            guard (minimum...Self.largest).contains(value) else {
                throw MQError.invalidConfig("\(field.rawValue) must be from \(minimum)\(minimum == 0 ? " (no limit)" : "") to \(Self.largest)")
            }
            return value
        }
        var config = config
        if let maxLength {
            config.maxLength = try checked(maxLength, .maxLength) == 0 ? nil : maxLength
        }
        if let maxAttempts { config.maxAttempts = try checked(maxAttempts, .maxAttempts, minimum: 1) }
        if let deadMax { config.deadMax = try checked(deadMax, .deadMax) }
        if let deadMaxAge { config.deadMaxAge = try checked(deadMaxAge, .deadMaxAge) }
        return config
    }

    /// The largest value a setting takes: 15 digits.
    public static let largest: Int64 = 999_999_999_999_999
}
