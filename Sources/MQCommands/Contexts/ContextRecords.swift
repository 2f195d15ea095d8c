import MQFormat

/// A context as output: where the password comes from, never a password.
enum ContextRecords {
    static let columns: [Column] = [
        Column("current"), Column("context"), Column("url"), Column("user"), Column("password"), Column("tls"),
        Column("prefix"), Column("layout"),
    ]

    static func record(_ context: ConnectionContext, current: String?) -> Record {
        let password = context.passwordFile.map { "file \($0)" } ?? context.passwordCommand.map { "command \($0)" }
        let tls = [context.tls ? "on" : nil, context.cacert.map { "cacert \($0)" }, context.cacertdir.map { "cacertdir \($0)" },
                   context.cert.map { "cert \($0)" }, context.sni.map { "sni \($0)" }, context.insecure ? "insecure" : nil]
            .compactMap { $0 }.joined(separator: ", ")
        func text(_ value: String?) -> FieldValue { value.map(FieldValue.string) ?? .null }
        return [
            "current": .bool(context.name == current), "context": .string(context.name), "url": text(context.url),
            "user": text(context.user), "password": text(password), "tls": text(tls.isEmpty ? nil : tls),
            "prefix": text(context.prefix), "layout": text(context.layout),
        ]
    }
}
