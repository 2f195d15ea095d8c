import Foundation
import MQCore
import MQRedis
import MQTestSupport
import XCTest

/// The cron lock against a real Redis: who it names, renewal from its own
/// thread, release on every way out, and taking over from a dead holder.
final class CronLockTests: CoreTestCase {
    let key = "mq:lock:dlq-replay:orders"

    func testTheHolderIsTheUserOfTheUidWithHostAndPid() throws {
        let held = try broker.lock("dlq-replay", queue: orders)
        defer { held.release() }
        XCTAssertThrowsError(try broker.lock("dlq-replay", queue: orders)) { error in
            guard case .lockHeld(_, let holder) = error as? MQError else { return XCTFail("\(error)") }
            XCTAssertTrue(holder.hasPrefix("\(NSUserName())@\(ProcessInfo.processInfo.hostName) pid \(getpid()) since "), holder)
            XCTAssertFalse(holder.contains("#"), "the nonce stays out of messages: \(holder)")
        }
    }

    /// A timeout closes the main connection; the lock goes anyway.
    func testReleaseWorksAfterTheMainConnectionClosed() throws {
        let main = try connect()
        let held = try Broker(connection: main, prefix: "mq").lock("dlq-replay", queue: orders)
        main.close()
        held.release()
        XCTAssertEqual(try redis.send("EXISTS", key).int(), 0)
    }

    /// A run waiting longer than the TTL (slow stdin, a slow batch) keeps
    /// the lock without calling anything.
    func testTheLockIsRenewedWhileTheRunWaits() throws {
        let held = try broker.lock("dlq-replay", queue: orders, ttl: 600)
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(try redis.send("EXISTS", key).int(), 1, "renewed past 2.5 TTLs")
        XCTAssertNoThrow(try held.checkpoint())
        held.release()
        XCTAssertEqual(try redis.send("EXISTS", key).int(), 0)
    }

    func testALostLockStopsTheWorkAtTheNextCheckpoint() throws {
        let held = try broker.lock("dlq-replay", queue: orders, ttl: 600)
        // As if it had expired and another run had taken it.
        try redis.send("SET", key, "someone else", "PX", 30_000)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertThrowsError(try held.checkpoint()) { error in
            XCTAssertEqual(error as? MQError, .lockHeld(name: "dlq-replay:orders", holder: "the lock expired and was taken by another run"))
        }
        held.release()
        XCTAssertEqual(try redis.send("GET", key).optionalString(), "someone else", "the other run's lock stays")
    }

    func testALockOfADeadRunOnThisHostIsTakenOver() throws {
        let gone = "\(NSUserName())@\(ProcessInfo.processInfo.hostName) pid \(try deadPid()) since 2026-12-01T03:00:00Z"
        try redis.send("SET", key, "\(gone) #42", "PX", 30_000)
        let held = try broker.lock("dlq-replay", queue: orders)
        XCTAssertEqual(held.takenOver, gone)
        XCTAssertTrue(try redis.send("GET", key).string().contains(" pid \(getpid()) "))
        held.release()
        XCTAssertEqual(try redis.send("EXISTS", key).int(), 0)
    }

    /// Only a holder known dead is taken over: one on another host, one
    /// alive, or a token of another form waits out its TTL.
    func testOtherHoldersKeepTheLock() throws {
        let alive = Process()
        alive.executableURL = URL(fileURLWithPath: "/bin/sleep")
        alive.arguments = ["10"]
        try alive.run()
        defer { alive.terminate() }
        let here = "\(NSUserName())@\(ProcessInfo.processInfo.hostName)"
        for token in ["\(here) pid \(alive.processIdentifier) since 2026-12-01T03:00:00Z #1",
                      "\(NSUserName())@elsewhere.example pid \(try deadPid()) since 2026-12-01T03:00:00Z #2",
                      "cron on some box"] {
            try redis.send("SET", key, token, "PX", 30_000)
            XCTAssertThrowsError(try broker.lock("dlq-replay", queue: orders), token) { error in
                guard case .lockHeld = error as? MQError else { return XCTFail("\(error)") }
            }
            XCTAssertEqual(try redis.send("GET", key).string(), token)
        }
    }

    /// While caught, SIGTERM sets the flag that `checkpoint()` throws;
    /// afterwards the handler that was there before is back, and the flag
    /// still set for the command's next checkpoint.
    func testSignalsAreCaughtOnlyWhileAskedAndThePreviousHandlerIsRestored() throws {
        var original = sigaction()
        sigaction(SIGTERM, nil, &original)
        defer {
            sigaction(SIGTERM, &original, nil)
            Interruption.reset()
        }
        signal(SIGTERM, SIG_IGN)
        try Interruption.catchingTermination {
            XCTAssertNoThrow(try Interruption.checkpoint())
            raise(SIGTERM)
            XCTAssertThrowsError(try Interruption.checkpoint()) { error in
                XCTAssertEqual(error as? Interrupted, Interrupted(signal: SIGTERM))
            }
        }
        XCTAssertThrowsError(try Interruption.checkpoint(), "not lost on the way out")
        var restored = sigaction()
        sigaction(SIGTERM, nil, &restored)
        XCTAssertEqual(unsafeBitCast(restored.__sigaction_handler.sa_handler, to: Int.self), unsafeBitCast(SIG_IGN, to: Int.self))
    }

    /// The pid of a process that has exited and been reaped.
    private func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
