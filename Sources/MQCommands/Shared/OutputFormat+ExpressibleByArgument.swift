import ArgumentParser
import MQFormat

extension OutputFormat: ExpressibleByArgument {
    /// What help and completion offer for every command; `-o prometheus`
    /// is parsed too, and `stats` alone takes it (its help says so).
    public static var allValueStrings: [String] { records.map(\.rawValue) }
}
