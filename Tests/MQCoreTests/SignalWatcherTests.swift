import Glibc
@testable import MQCore
import XCTest

/// The worker's signal watcher takes SIGINT and SIGTERM while it runs and
/// gives them back when it stops, so a shell that ran `work` gets Ctrl-C
/// back (issue 15, defect 13).
final class SignalWatcherTests: XCTestCase {
    private func blocked(_ signal: Int32) -> Bool {
        var mask = sigset_t()
        pthread_sigmask(SIG_BLOCK, nil, &mask)
        return sigismember(&mask, signal) == 1
    }

    // A signal is not sent here: in the test process other threads,
    // started before the watcher, would take it and die of it. The worker
    // tests send real SIGTERMs to real worker processes.
    func testSignalsAreBlockedWhileRunningAndTheMaskIsRestoredAfter() throws {
        XCTAssertFalse(blocked(SIGINT))
        let watcher = SignalWatcher { _ in XCTFail("no signal was sent") }
        XCTAssertTrue(blocked(SIGINT) && blocked(SIGTERM), "blocked while the worker runs")
        let stopping = Date()
        watcher.stop()
        XCTAssertLessThan(Date().timeIntervalSince(stopping), 1, "the watcher thread ends at once")
        XCTAssertFalse(blocked(SIGINT) || blocked(SIGTERM), "the mask is back as it was: Ctrl-C works again")
        watcher.stop() // a second stop is harmless
    }
}
