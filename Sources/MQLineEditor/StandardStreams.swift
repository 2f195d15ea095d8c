// Glibc declares the standard streams as `extern FILE *stdin` (and stdout,
// stderr): C globals that cannot be annotated, so the Swift 6 mode refuses
// every reference to them as shared mutable state. libedit needs the
// process's own streams (an `fdopen` copy would buffer apart from them), so
// they are read here, in this file alone, through a `@preconcurrency`
// import: glibc sets them before `main`, nothing in mqctl assigns them, and
// the line editor runs on the REPL's one thread.
@preconcurrency import Glibc

enum StandardStreams {
    static var input: UnsafeMutablePointer<FILE>! { stdin }
    static var output: UnsafeMutablePointer<FILE>! { stdout }
    static var error: UnsafeMutablePointer<FILE>! { stderr }
}
