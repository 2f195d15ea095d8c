import Foundation
import Glibc
import MQCore
import MQTestSupport
import XCTest

/// The worker under systemd (issue 21): the notify protocol spoken to a
/// datagram socket the test binds as systemd's `$NOTIFY_SOCKET`, and log
/// lines for the journal when stderr is `$JOURNAL_STREAM`.
final class SystemdTests: WorkerTestCase {
    /// An AF_UNIX datagram socket bound at a path, or an abstract name
    /// (`@name`), collecting what is sent to it with the time it came.
    final class NotifyListener: @unchecked Sendable {
        let name: String
        private let fd: Int32
        private let lock = NSLock()
        private var received: [(time: Date, text: String)] = []
        private var closed = false
        private let done = DispatchSemaphore(value: 0)

        init(name: String) throws {
            self.name = name
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EIO) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(name.utf8)
            if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
            withUnsafeMutableBytes(of: &address.sun_path) { path in
                for (index, byte) in bytes.enumerated() { path[index] = byte }
            }
            let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (bytes[0] == 0 ? 0 : 1))
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !lock.withLock({ closed }) {
                    var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
                    guard poll(&fds, 1, 50) > 0 else { continue }
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n > 0 {
                        let text = String(decoding: buffer[..<n], as: UTF8.self)
                        lock.withLock { received.append((Date(), text)) }
                    }
                }
                done.signal()
            }.start()
        }

        func close() {
            lock.withLock { closed = true }
            done.wait()
            Glibc.close(fd)
        }

        /// The datagrams so far, each its lines.
        var messages: [(time: Date, lines: [String])] {
            lock.withLock { received.map { ($0.time, $0.text.split(separator: "\n").map(String.init)) } }
        }

        func times(of line: String) -> [Date] { messages.filter { $0.lines.contains(line) }.map(\.time) }

        func first(_ line: String) -> [String]? { messages.first { $0.lines.contains(line) }?.lines }
    }

    func testReadinessWatchdogStoppingAndAHandlerThatCannotSpeakForTheWorker() throws {
        let listener = try NotifyListener(name: folder.appendingPathComponent("notify.sock").path)
        defer { listener.close() }
        let handler = try script("env.sh", "env > \(folder.path)/env-$MQ_ID.txt; echo \"$MQ_ID\" >> \(logPath); sleep 3\n")
        let worker = try startWorker(["orders", "--", handler], environment: [
            "NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "200000", "WATCHDOG_USEC_UNRELATED": "kept",
        ])

        try eventually("READY=1") { listener.first("READY=1") != nil }
        // Registered before it said ready.
        let registered = try redis.send("ZRANGE", "mq:workers", 0, -1).array().map { try $0.string() }
        XCTAssertTrue(registered.contains { $0.contains("-\(worker.processIdentifier)-") }, "\(registered)")
        let ready = try XCTUnwrap(listener.first("READY=1"))
        XCTAssertTrue(ready.contains("MAINPID=\(worker.processIdentifier)"), "\(ready)")
        XCTAssertTrue(ready.contains("STATUS=consuming orders: 0 in flight, 0 handled"), "\(ready)")

        // Every 100 ms (half of WATCHDOG_USEC) while the maintenance loop runs.
        let readyAt = try XCTUnwrap(listener.times(of: "READY=1").first)
        Thread.sleep(forTimeInterval: 1.05)
        let pings = listener.times(of: "WATCHDOG=1").filter { $0 >= readyAt && $0 <= readyAt.addingTimeInterval(1.05) }
        XCTAssertGreaterThanOrEqual(pings.count, 3, "\(listener.messages)")
        XCTAssertLessThanOrEqual(pings.count, 15, "not much faster than asked: \(pings.count)")

        try mqctl("enqueue", "orders", "x", "--id", "e1")
        try eventually("the handler runs") { handled() == ["e1"] }
        try eventually("STATUS says it is busy") { listener.messages.contains { $0.lines.contains("STATUS=consuming orders: 1 in flight, 0 handled") } }
        kill(worker.processIdentifier, SIGTERM)
        try eventually("STOPPING=1") { listener.first("STOPPING=1") != nil }
        let stopping = try XCTUnwrap(listener.first("STOPPING=1"))
        XCTAssertTrue(stopping.contains("STATUS=draining, 1 in flight"), "\(stopping)")
        // The default --grace of 30 s and 15 s to clean up, whatever TimeoutStopSec= says.
        XCTAssertTrue(stopping.contains("EXTEND_TIMEOUT_USEC=45000000"), "\(stopping)")
        XCTAssertEqual(wait(worker), 0, workerLog())
        XCTAssertEqual(try count("EXISTS", "mq:{orders}:msg:e1"), 0, "the running handler finished and was acked")
        XCTAssertTrue(listener.messages.contains { $0.lines.contains("STATUS=draining, 0 in flight") }, "\(listener.messages)")

        let environment = try String(contentsOfFile: "\(folder.path)/env-e1.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        let names = Set(environment.map { String($0.prefix { $0 != "=" }) })
        XCTAssertFalse(names.contains("NOTIFY_SOCKET"), "\(environment)")
        XCTAssertFalse(names.contains("WATCHDOG_USEC"), "\(environment)")
        XCTAssertTrue(environment.contains("WATCHDOG_USEC_UNRELATED=kept"), "only the protocol's own are withheld")
        XCTAssertTrue(environment.contains("MQ_ID=e1"), "\(environment)")
    }

    /// A Redis that stops answering holds the maintenance loop, so the
    /// pings stop and systemd (WatchdogSec=) restarts the worker; they
    /// start again when it answers.
    func testAStuckRedisStopsTheWatchdogPings() throws {
        let stuck = try RedisServer()
        let listener = try NotifyListener(name: folder.appendingPathComponent("notify.sock").path)
        defer { listener.close() }
        let handler = try script("ok.sh", "exit 0\n")
        let worker = try startWorker(["orders", "--", handler], url: stuck.url,
                                     environment: ["NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "200000"])
        try eventually("pings") { listener.times(of: "WATCHDOG=1").count >= 3 }
        stuck.signal(SIGSTOP)
        let stoppedAt = Date()
        Thread.sleep(forTimeInterval: 2)
        stuck.signal(SIGCONT)
        let continuedAt = Date()
        let during = listener.times(of: "WATCHDOG=1").filter { $0 > stoppedAt.addingTimeInterval(0.5) && $0 < continuedAt }
        XCTAssertEqual(during, [], "no pings while Redis does not answer")
        try eventually("pings again") { listener.times(of: "WATCHDOG=1").contains { $0 > continuedAt } }
        kill(worker.processIdentifier, SIGTERM)
        XCTAssertEqual(wait(worker), 0, workerLog())
    }

    func testTheProtocolsAddressesAndWhoseWatchdogItIs() throws {
        let abstract = try NotifyListener(name: "@mqctl-test-\(UUID().uuidString.prefix(8))")
        defer { abstract.close() }
        let notify = try XCTUnwrap(SystemdNotify(environment: ["NOTIFY_SOCKET": abstract.name]))
        notify.send(["STATUS=hello"])
        try eventually("the datagram on the abstract socket") { abstract.messages.map(\.lines) == [["STATUS=hello"]] }
        XCTAssertNil(notify.watchdogInterval)

        XCTAssertNil(SystemdNotify(environment: [:]))
        XCTAssertNil(SystemdNotify(environment: ["NOTIFY_SOCKET": "relative/path"]))
        XCTAssertNil(SystemdNotify(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)]), "longer than sun_path")
        let mine = try XCTUnwrap(SystemdNotify(environment: ["NOTIFY_SOCKET": "/run/none", "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(getpid())"]))
        XCTAssertEqual(mine.watchdogInterval, 1.5)
        let others = try XCTUnwrap(SystemdNotify(environment: ["NOTIFY_SOCKET": "/run/none", "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"]))
        XCTAssertNil(others.watchdogInterval, "another process's watchdog")

        // Nobody listening: sending fails, is logged once at debug, and nothing else happens.
        var logged: [String] = []
        let nowhere = try XCTUnwrap(SystemdNotify(environment: ["NOTIFY_SOCKET": folder.appendingPathComponent("none.sock").path]) { logged.append($0) })
        nowhere.send(["READY=1"])
        nowhere.send(["WATCHDOG=1"])
        XCTAssertEqual(logged.count, 1, "\(logged)")
    }

    func testJournalLinesCarryAPriorityAndNoTimestamp() throws {
        try mqctl("enqueue", "orders", "x", "--id", "j1", "--max-attempts", "1")
        let handler = try script("fail.sh", "echo nope >&2; exit 3\n")
        var info = stat()
        XCTAssertEqual(stat(nextWorkerStderr().path, &info), 0)
        let journal = try startWorker(["orders", "--burst", "--", handler], environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"])
        XCTAssertEqual(wait(journal), 0, workerLog())
        let lines = workerLog(0).split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("<6>INFO worker started id=") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("<4>WARN failed, attempts used up: dead-lettered queue=orders id=j1 attempt=1 max_attempts=1") }, "\(lines)")
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("<") }, "a priority on every line: \(lines)")
        XCTAssertFalse(lines.contains { $0.contains(#/\d{4}-\d\d-\d\dT\d\d:\d\d/#) }, "no timestamp: the journal keeps one")

        // A stream that is not this stderr (redirected since systemd set it): the usual lines.
        try mqctl("enqueue", "orders", "y", "--id", "j2")
        let elsewhere = try startWorker(["orders", "--burst", "--", try script("ok.sh", "exit 0\n")],
                                        environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"])
        XCTAssertEqual(wait(elsewhere), 0, workerLog(1))
        XCTAssertTrue(workerLog(1).split(separator: "\n").allSatisfy { $0.contains(#/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARN|DEBUG|ERROR) /#) }, workerLog(1))

        // JSON lines stay as they are, on the journal too.
        try mqctl("enqueue", "orders", "z", "--id", "j3")
        XCTAssertEqual(stat(nextWorkerStderr().path, &info), 0)
        let json = try startWorker(["orders", "--burst", "--log-format", "json", "--", try script("ok2.sh", "exit 0\n")],
                                   environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"])
        XCTAssertEqual(wait(json), 0, workerLog(2))
        let objects = workerLog(2).split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertFalse(objects.isEmpty)
        XCTAssertTrue(objects.allSatisfy { $0?["time"] is String && $0?["level"] is String }, workerLog(2))
    }
}
