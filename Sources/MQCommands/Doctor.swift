import ArgumentParser
import MQCore
import MQFormat

extension MQCtl {
    struct Doctor: MQCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check the server for settings that weaken mqctl's guarantees.",
            discussion: """
                Reports eviction policy, AOF, version, role, replicas and cluster mode, each OK, \
                WARN or UNKNOWN (when managed Redis refuses CONFIG). Exits 0 when all are OK, \
                1 otherwise.

                Example: mqctl doctor
                """)

        @OptionGroup(title: "Global options") var globals: GlobalOptions

        func run(in context: CommandContext) throws {
            let checks = try ServerDoctor.checks(context.connection())
            try context.output { renderer in
                renderer.beginList(key: "checks", columns: [Column("check"), Column("status", isStatus: true), Column("detail")])
                for check in checks {
                    renderer.row(["check": .string(check.name), "status": .string(check.status.rawValue), "detail": .string(check.detail)])
                }
                renderer.endList()
            }
            if checks.contains(where: { $0.status != .ok }) { throw ExitCode(ExitStatus.failure.rawValue) }
        }
    }
}
