import ArgumentParser

/// `--allow-missing`: for a script that names a queue before it exists.
/// Without it a queue that is not known (not registered, no keys, not a
/// layout's) is an error, with the nearest known name as a hint.
struct MissingQueueOption: ParsableArguments {
    @Flag(help: "Read a queue that does not exist (not registered, no keys) as empty instead of failing with exit 1.")
    var allowMissing = false
}
