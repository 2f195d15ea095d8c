// Property run of mqctl's input parsers (Scripts/chaos runs it). Built with
// -DLIBFUZZER and -sanitize=fuzzer, libFuzzer drives the targets instead.
//
//   [MQCTL_FUZZ_LAST=FILE] mqctl-fuzz [--seconds N] [--seed S] [TARGET...]
//   MQCTL_FUZZ_TARGET=url mqctl-fuzz -max_total_time=30 CORPUS   (libFuzzer)
import Foundation

#if LIBFUZZER
exit(runLibFuzzer())
#else

var seconds = 2.0
var seed = UInt64(Date().timeIntervalSince1970 * 1000)
var targets: [FuzzTarget] = []
// Each input is written here before it runs, so a crash leaves it behind.
let lastInput = ProcessInfo.processInfo.environment["MQCTL_FUZZ_LAST"]
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--seconds": seconds = arguments.popFirst().flatMap(Double.init) ?? seconds
    case "--seed": seed = arguments.popFirst().flatMap { UInt64($0) } ?? seed
    default:
        guard let target = FuzzTarget(rawValue: argument) else {
            FileHandle.standardError.write(Data("mqctl-fuzz: unknown target '\(argument)'; targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: " "))\n".utf8))
            exit(64)
        }
        targets.append(target)
    }
}
if targets.isEmpty { targets = FuzzTarget.allCases }

print("mqctl-fuzz: seed \(seed), \(seconds)s per target")
for target in targets {
    var mutator = Mutator(seed: seed)
    var pool = target.seeds
    var counts = (inputs: 0, accepted: 0, rejected: 0)
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        for _ in 0..<200 {
            let input = mutator.mutate(pool[mutator.below(pool.count)], splicingWith: pool[mutator.below(pool.count)])
            counts.inputs += 1
            if let lastInput { FileManager.default.createFile(atPath: lastInput, contents: Data(input)) }
            switch target.run(input) {
            case .accepted:
                counts.accepted += 1
                // Accepted inputs sit close to the grammar: keep some to
                // mutate further.
                if pool.count < 512 { pool.append(input) } else { pool[mutator.below(pool.count)] = input }
            case .rejected:
                counts.rejected += 1
            }
        }
    }
    print("\(target.rawValue): \(counts.inputs) inputs, \(counts.accepted) accepted, \(counts.rejected) typed errors, no crash")
}
#endif
