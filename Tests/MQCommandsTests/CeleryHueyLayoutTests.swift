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
        for command in [["dlq", "list", "celery"], ["retry", "list", "celery"], ["delayed", "list", "celery"]] {
            let result = run(command)
            XCTAssertEqual(result.code, 64, command.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains("layout 'celery': ") && result.stderr.contains("Celery"), result.stderr)
        }
        // A task named by mqctl is sent as send_task sends it; an ETA goes in its headers.
        let sent = run("enqueue", "celery", #"{"task": "interop.job", "args": [6, 0]}"#)
        XCTAssertEqual(sent.code, 0, sent.stderr)
        let soon = run("enqueue", "celery", "--delay", "1s", #"{"task": "interop.job", "args": [7, 0]}"#)
        XCTAssertEqual(soon.code, 0, soon.stderr)
        let unnamed = run("enqueue", "celery", "{}")
        XCTAssertEqual(unnamed.code, 64)
        XCTAssertTrue(unnamed.stderr.contains("needs \"task\""), unnamed.stderr)
        XCTAssertEqual(try statsRow("celery", layout: "celery")["ready"] as? Int, 7)
        // Celery's own worker finds every message where it left it, and runs mqctl's.
        XCTAssertEqual(try interop("celery", ["work", "--queue", "celery"])["succeeded"] as? Int, 7)
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

/// The built-in `bullmq` layout against BullMQ's Python port (which runs
/// BullMQ's own Lua scripts): mqctl's writes follow its protocol, so a
/// worker blocked on the marker wakes for them and runs the jobs.
final class BullMQLayoutTests: FrameworkTestCase {
    func testFailedJobsReplayedAsJobRetryWakeALiveWorker() throws {
        _ = try interop("bullmq", ["enqueue", "--queue", "emails", "--count", "6", "--fail-every", "3", "--retry", "0"])
        let counts0 = try XCTUnwrap(try interop("bullmq", ["counts", "--queue", "emails"])["api"] as? [String: Any])
        let jobCounts0 = try XCTUnwrap(counts0["Queue.getJobCounts"] as? [String: Int])
        XCTAssertEqual(try statsRow("emails", layout: "bullmq")["ready"] as? Int, jobCounts0["waiting"])
        _ = try interop("bullmq", ["work", "--queue", "emails"])
        XCTAssertEqual(try jobCounts("emails")["failed"], 2)
        XCTAssertEqual(try statsRow("emails", layout: "bullmq")["dead"] as? Int, 2)
        let listed = try XCTUnwrap(try json(run("dlq", "list", "emails", "--error", "^boom", "-o", "json"))["items"] as? [[String: Any]])
        XCTAssertEqual(Set(listed.compactMap { $0["last_error"] as? String }), ["boom 3", "boom 6"])
        XCTAssertEqual(listed.first?["attempts"] as? Int, 1, "atm")

        XCTAssertEqual(run("dlq", "replay", "emails", "--all", "--dry-run").code, 0)
        XCTAssertEqual(try jobCounts("emails")["failed"], 2, "a dry run moves nothing")
        _ = try interop("bullmq", ["set-failing", "off"])
        // A worker with BullMQ's default drainDelay (5 s) blocks on the
        // marker; only a replay that sets it wakes the worker within 3 s.
        let worker = try startInterop("bullmq", ["work", "--queue", "emails", "--stay", "--seconds", "8"])
        Thread.sleep(forTimeInterval: 2)
        let replay = run("dlq", "replay", "emails", "--all", "-y")
        XCTAssertEqual(replay.code, 0, replay.stderr)
        XCTAssertTrue(replay.stdout.contains("moved") && replay.stdout.contains("2"), replay.stdout)
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline, try redis("GET", "interop:done:bullmq").optionalString() != "6" { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual(try redis("GET", "interop:done:bullmq").optionalString(), "6", "the live worker ran the replayed jobs at once")
        worker.waitUntilExit()
        let after = try jobCounts("emails")
        XCTAssertEqual(after["failed"], 0)
        XCTAssertEqual(after["completed"], 6)
        let events = try redis("XRANGE", "bull:emails:events", "-", "+").array().map { entry in
            try entry.array()[1].array().map { try $0.string() }.joined(separator: " ")
        }
        XCTAssertEqual(events.filter { $0.hasPrefix("event waiting") && $0.hasSuffix("prev failed") }.count, 2, "\(events)")
    }

    func testEnqueueRunNowAndPurgeAsQueueAddPromoteAndRemove() throws {
        let added = run("--layout", "bullmq", "enqueue", "emails", #"{"name":"interop","data":{"i":7,"k":0}}"#)
        XCTAssertEqual(added.code, 0, added.stderr)
        let later = run("--layout", "bullmq", "enqueue", "emails", "--delay", "1h",
                        #"{"name":"interop","data":{"i":8,"k":0},"opts":{"jobId":"late-8","priority":3}}"#)
        XCTAssertEqual(later.code, 0, later.stderr)
        XCTAssertEqual(try jobCounts("emails")["waiting"], 1)
        XCTAssertEqual(try jobCounts("emails")["delayed"], 1)
        let again = run("--layout", "bullmq", "enqueue", "emails", #"{"name":"interop","data":{},"opts":{"jobId":"late-8"}}"#)
        XCTAssertEqual(again.code, 0, "an id in use is left alone, as Queue.add leaves it")
        XCTAssertEqual(try redis("HGET", "bull:emails:late-8", "data").string(), #"{"i":8,"k":0}"#)
        let unnamed = run("--layout", "bullmq", "enqueue", "emails", #"{"data":{}}"#)
        XCTAssertEqual(unnamed.code, 64)
        XCTAssertTrue(unnamed.stderr.contains("job name"), unnamed.stderr)

        let runNow = run("delayed", "run-now", "emails", "late-8")
        XCTAssertEqual(runNow.code, 0, runNow.stderr)
        XCTAssertEqual(try jobCounts("emails")["delayed"], 0)
        XCTAssertEqual(try jobCounts("emails")["prioritized"], 1, "a job with a priority goes to prioritized")
        let tiers = try XCTUnwrap(try statsRow("emails", layout: "bullmq")["ready_by_priority"] as? [String: Int])
        XCTAssertEqual(tiers, ["normal": 1, "prioritized": 1])
        XCTAssertEqual(try statsRow("emails", layout: "bullmq")["ready"] as? Int, 2, "wait and prioritized")
        XCTAssertEqual(try redis("HGET", "bull:emails:late-8", "delay").string(), "0")
        let work = try interop("bullmq", ["work", "--queue", "emails"])
        XCTAssertEqual(work["succeeded"] as? Int, 2, "\(work)")

        _ = try interop("bullmq", ["enqueue", "--queue", "emails", "--count", "1", "--fail-every", "1", "--retry", "0"])
        _ = try interop("bullmq", ["work", "--queue", "emails"])
        XCTAssertEqual(try jobCounts("emails")["failed"], 1)
        let failedID = try redis("ZRANGE", "bull:emails:failed", 0, -1).array()[0].string()
        let purge = run("dlq", "purge", "emails", "--all", "-y")
        XCTAssertEqual(purge.code, 0, purge.stderr)
        XCTAssertEqual(try jobCounts("emails")["failed"], 0)
        XCTAssertEqual(try redis("EXISTS", "bull:emails:\(failedID)").int(), 0, "Job.remove deletes the hash")
        let last = try redis("XREVRANGE", "bull:emails:events", "+", "-", "COUNT", 1).array()[0].array()[1].array().map { try $0.string() }
        XCTAssertEqual(last, ["event", "removed", "jobId", failedID, "prev", "failed"])
    }

    private func jobCounts(_ queue: String) throws -> [String: Int] {
        let counts = try XCTUnwrap(try interop("bullmq", ["counts", "--queue", queue])["api"] as? [String: Any])
        return try XCTUnwrap(counts["Queue.getJobCounts"] as? [String: Int])
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
        XCTAssertTrue((listed.first?["last_error"] as? String)?.hasPrefix("common.InteropError: boom") == true, "\(listed)")
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
