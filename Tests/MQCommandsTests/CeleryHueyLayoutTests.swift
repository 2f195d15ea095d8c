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

/// The built-in `dramatiq` layout against Dramatiq 2.2 itself: its actor
/// dead-letters failing messages, mqctl lists them and replays each under
/// a new redis_message_id (in the message too, as Dramatiq acks by it), and
/// Dramatiq's worker runs them.
final class DramatiqLayoutTests: FrameworkTestCase {
    func testDeadMessagesReplayedUnderNewIDsAndRunByDramatiq() throws {
        _ = try interop("dramatiq", ["enqueue", "--queue", "default", "--count", "6", "--fail-every", "3", "--retry", "1"])
        XCTAssertEqual(try statsRow("default", layout: "dramatiq")["ready"] as? Int, 6)
        _ = try interop("dramatiq", ["work", "--queue", "default"])
        XCTAssertEqual(try summary("dramatiq", "default")["failed"], 2)
        // The ready list and its hash are gone once drained; the queue is still found by its dead letters.
        XCTAssertEqual(try statsRow("default", layout: "dramatiq")["dead"] as? Int, 2)
        let listed = try XCTUnwrap(try json(run("dlq", "list", "default", "--error", "InteropError", "-o", "json"))["items"] as? [[String: Any]])
        XCTAssertEqual(listed.count, 2)
        XCTAssertTrue((listed.first?["error"] as? String)?.hasPrefix("common.InteropError: boom") == true, "\(listed)")
        let oldIDs = Set(try redis("ZRANGE", "dramatiq:default.XQ", 0, -1).array().map { try $0.string() })

        _ = try interop("dramatiq", ["set-failing", "off"])
        XCTAssertEqual(try json(run("dlq", "replay", "default", "--all", "-y", "-o", "json"))["moved"] as? Int, 2)
        XCTAssertEqual(try redis("ZCARD", "dramatiq:default.XQ").int(), 0)
        XCTAssertEqual(try redis("HLEN", "dramatiq:default.XQ.msgs").int(), 0)
        let newIDs = try redis("LRANGE", "dramatiq:default", 0, -1).array().map { try $0.string() }
        XCTAssertEqual(newIDs.count, 2)
        XCTAssertTrue(oldIDs.isDisjoint(with: newIDs))
        for id in newIDs {
            let message = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try redis("HGET", "dramatiq:default.msgs", id).string().utf8)) as? [String: Any])
            let options = try XCTUnwrap(message["options"] as? [String: Any])
            XCTAssertEqual(options["redis_message_id"] as? String, id)
            XCTAssertEqual(options["retries"] as? Int, 0, "attempts start again")
        }
        XCTAssertEqual(try interop("dramatiq", ["work", "--queue", "default"])["succeeded"] as? Int, 2)
        XCTAssertEqual(try summary("dramatiq", "default")["done"], 6)

        // A message mqctl writes as actor.send would: Dramatiq's worker runs it. (The drained queue
        // has no keys left to be found by, so the layout is named.)
        XCTAssertEqual(run("--layout", "dramatiq", "enqueue", "default", #"{"actor_name":"interop_job","args":[7,0]}"#, "-q").code, 0)
        let id = try redis("LINDEX", "dramatiq:default", 0).string()
        let message = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try redis("HGET", "dramatiq:default.msgs", id).string().utf8)) as? [String: Any])
        XCTAssertEqual(message["queue_name"] as? String, "default")
        XCTAssertEqual((message["options"] as? [String: Any])?["redis_message_id"] as? String, id)
        XCTAssertEqual(run("--layout", "dramatiq", "enqueue", "default", #"{"args":[1]}"#).code, 64, "no actor_name")
        XCTAssertEqual(try interop("dramatiq", ["work", "--queue", "default"])["succeeded"] as? Int, 1)
    }
}
