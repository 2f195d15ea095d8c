import Foundation
import XCTest

/// The built-in `celery` and `huey` layouts against Celery 5.7 (kombu's
/// Redis transport) and Huey 3.5 themselves: their clients enqueue, mqctl's
/// counts agree with theirs, and what they keep outside Redis is refused
/// with the reason.
final class CeleryHueyLayoutTests: FrameworkTestCase {
    func testCeleryQueuesAreCountedAndWhatItKeepsElsewhereIsRefused() throws {
        _ = try interop("celery", ["enqueue", "--queue", "celery", "--count", "5"])
        let row = try statsRow("celery", layout: "celery")
        XCTAssertEqual(row["ready"] as? Int, try summary("celery", "celery")["ready"])
        XCTAssertEqual(row["ready"] as? Int, 5)
        let peeked = try XCTUnwrap(try json(run("peek", "celery", "-o", "json"))["items"] as? [[String: Any]])
        XCTAssertEqual(peeked.count, 5)
        XCTAssertEqual((peeked.first?["id"] as? String)?.count, 36, "headers.id, the task id")
        for command in [["dlq", "list", "celery"], ["retry", "list", "celery"], ["delayed", "list", "celery"], ["enqueue", "celery", "{}"]] {
            let result = run(command)
            XCTAssertEqual(result.code, 64, command.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains("layout 'celery': ") && result.stderr.contains("Celery"), result.stderr)
        }
        // Celery's own worker still finds every message where it left it.
        XCTAssertEqual(try interop("celery", ["work", "--queue", "celery"])["succeeded"] as? Int, 5)
        XCTAssertEqual(try statsRow("celery", layout: "celery")["ready"] as? Int, 0)
    }

    func testHueyQueuesAreCountedAndItsScheduleIsTheDelayedRole() throws {
        _ = try interop("huey", ["enqueue", "--queue", "hq", "--count", "3"])
        XCTAssertEqual(try statsRow("hq", layout: "huey")["ready"] as? Int, try summary("huey", "hq")["ready"])
        let dead = run("dlq", "list", "hq")
        XCTAssertEqual(dead.code, 64)
        XCTAssertTrue(dead.stderr.contains("Huey keeps no failed tasks"), dead.stderr)
        XCTAssertEqual(run("delayed", "list", "hq").code, 0)
        XCTAssertEqual(run("work", "hq", "--", "/bin/true").code, 64)
        XCTAssertEqual(try interop("huey", ["work", "--queue", "hq"])["succeeded"] as? Int, 3)
    }
}

/// The built-in `bullmq` layout, read only, against BullMQ's Python port
/// (which runs BullMQ's own Lua scripts).
final class BullMQLayoutTests: FrameworkTestCase {
    func testFailedJobsAreCountedAndListedAsBullMQReportsThemAndMovesAreRefused() throws {
        _ = try interop("bullmq", ["enqueue", "--queue", "emails", "--count", "6", "--fail-every", "3", "--retry", "0"])
        let counts0 = try XCTUnwrap(try interop("bullmq", ["counts", "--queue", "emails"])["api"] as? [String: Any])
        let jobCounts0 = try XCTUnwrap(counts0["Queue.getJobCounts"] as? [String: Int])
        XCTAssertEqual(try statsRow("emails", layout: "bullmq")["ready"] as? Int, jobCounts0["waiting"])
        _ = try interop("bullmq", ["work", "--queue", "emails"])
        let counts = try XCTUnwrap(try interop("bullmq", ["counts", "--queue", "emails"])["api"] as? [String: Any])
        let jobCounts = try XCTUnwrap(counts["Queue.getJobCounts"] as? [String: Int])
        XCTAssertEqual(jobCounts["failed"], 2)
        XCTAssertEqual(try statsRow("emails", layout: "bullmq")["dead"] as? Int, jobCounts["failed"])
        let listed = try XCTUnwrap(try json(run("dlq", "list", "emails", "--error", "^boom", "-o", "json"))["items"] as? [[String: Any]])
        XCTAssertEqual(Set(listed.compactMap { $0["error"] as? String }), ["boom 3", "boom 6"])
        XCTAssertEqual(listed.first?["attempts"] as? Int, 1, "atm")
        let replay = run("dlq", "replay", "emails", "--all", "-y")
        XCTAssertEqual(replay.code, 64)
        XCTAssertTrue(replay.stderr.contains("Job.retry"), replay.stderr)
        XCTAssertFalse(replay.stderr.contains("re-run"), "a refusal is not a run cut short")
        XCTAssertEqual(jobCounts["failed"], try XCTUnwrap((try interop("bullmq", ["counts", "--queue", "emails"])["api"] as? [String: Any])?["Queue.getJobCounts"] as? [String: Int])["failed"])
    }
}
