import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Ping: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "ping",
            abstract: "Check that Redis answers: version, mode, role, db and round-trip latency.",
            discussion: """
                Sends COUNT PINGs one after another and reports the fastest, mean and slowest \
                round trip. Exits 69 when Redis is unreachable and 77 when it refuses the credentials.

                Example: mqctl ping --count 10 --json
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        @Option(name: [.short, .long], help: "Number of PINGs to time.")
        var count = 3

        func validate() throws {
            guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        }

        func run(in context: CommandContext) throws {
            let connection = try context.connection()
            let info = try ServerProbe.info(connection)
            let latency = try ServerProbe.latency(connection, count: count)
            try context.output { $0.single([
                "target": .string(context.configuration.description),
                "version": .string(info.version),
                "mode": .string(info.mode),
                "role": .string(info.role),
                "db": .int(Int64(context.configuration.database)),
                "pings": .int(Int64(latency.count)),
                "latency_min_seconds": .seconds(latency.minimum),
                "latency_avg_seconds": .seconds(latency.average),
                "latency_max_seconds": .seconds(latency.maximum),
            ]) }
        }
    }
}
