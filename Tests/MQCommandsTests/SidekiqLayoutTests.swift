import Foundation
import MQRedis
import MQTestSupport
import XCTest

/// The built-in `sidekiq` layout against Sidekiq itself (Debian's
/// ruby-sidekiq, driven by Scripts/interop): Sidekiq's client enqueues,
/// its own worker kills the failing jobs, mqctl lists and replays them,
/// and Sidekiq's worker then runs them to the end.
final class SidekiqLayoutTests: FrameworkTestCase {
    func sidekiq(_ arguments: String...) throws -> [String: Any] { try interop("sidekiq", arguments) }
    func summary(_ queue: String) throws -> [String: Int] { try summary("sidekiq", queue) }

    func testDeadJobsListedAndReplayedTheWaySidekiqDoesThenRunBySidekiq() throws {
        _ = try sidekiq("enqueue", "--queue", "default", "--count", "6", "--fail-every", "3", "--retry", "0")
        _ = try sidekiq("enqueue", "--queue", "mailers", "--count", "4", "--fail-every", "2", "--retry", "0")
        let stats0 = try XCTUnwrap(try json(run("stats", "-o", "json"))["queues"] as? [[String: Any]])
        XCTAssertEqual(stats0.filter { $0["layout"] as? String == "sidekiq" }.map { $0["queue"] as? String }, ["default", "mailers"])
        XCTAssertEqual(stats0.first { $0["queue"] as? String == "default" }?["ready"] as? Int, 6)

        _ = try sidekiq("work", "--queue", "default")
        _ = try sidekiq("work", "--queue", "mailers")
        XCTAssertEqual(try summary("default")["failed"], 2)

        // Each queue's dead jobs, out of the one dead set they share.
        let stats = try XCTUnwrap(try json(run("stats", "-o", "json"))["queues"] as? [[String: Any]])
        XCTAssertEqual(stats.first { $0["queue"] as? String == "default" }?["dead"] as? Int, 2)
        XCTAssertEqual(stats.first { $0["queue"] as? String == "mailers" }?["dead"] as? Int, 2)
        let listed = try XCTUnwrap(try json(run("--layout", "sidekiq", "dlq", "list", "default", "--error", "InteropError: boom", "-o", "json"))["items"] as? [[String: Any]])
        XCTAssertEqual(Set(listed.compactMap { $0["last_error"] as? String }), ["InteropError: boom 3", "InteropError: boom 6"])
        XCTAssertEqual(run("check", "default", "--max-dead", "1").code, 2)

        let dry = try json(run("dlq", "replay", "default", "--all", "--dry-run", "-o", "json"))
        XCTAssertEqual(dry["would_move"] as? Int, 2)
        XCTAssertEqual(try summary("default")["failed"], 2, "a dry run changes nothing")

        _ = try sidekiq("set-failing", "off")
        let replayed = try json(run("dlq", "replay", "default", "--all", "-y", "-o", "json"))
        XCTAssertEqual(replayed["moved"] as? Int, 2)
        // As SortedEntry#retry pushes it: retry_count down by one, a fresh enqueued_at, on queue:default.
        let pushed = try redis("LRANGE", "queue:default", 0, -1).array().map { try $0.string() }
        XCTAssertEqual(pushed.count, 2)
        for job in pushed {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(job.utf8)) as? [String: Any])
            XCTAssertEqual(object["retry_count"] as? Int, -1)
            XCTAssertEqual(try XCTUnwrap(object["enqueued_at"] as? Double), Date().timeIntervalSince1970, accuracy: 10)
        }
        XCTAssertEqual(try summary("mailers")["failed"], 2, "another queue's dead jobs stay")

        let run2 = try sidekiq("work", "--queue", "default")
        XCTAssertEqual(run2["succeeded"] as? Int, 2, "Sidekiq's own worker runs the replayed jobs")
        let after = try summary("default")
        XCTAssertEqual(after["failed"], 0)
        XCTAssertEqual(after["done"], 8, "4 + 2 replayed on default, 2 on mailers: the counter is the framework's")
    }

    func testRetryRunNowKillAndEnqueueAsSidekiqsClient() throws {
        _ = try sidekiq("enqueue", "--queue", "default", "--count", "3", "--fail-every", "1", "--retry", "3")
        // --keep-retries leaves the failed jobs waiting in the retry set.
        _ = try sidekiq("work", "--queue", "default", "--keep-retries")
        XCTAssertEqual(try summary("default")["retry"], 3)
        let retrying = try XCTUnwrap(try json(run("--layout", "sidekiq", "retry", "list", "default", "-o", "json"))["items"] as? [[String: Any]])
        XCTAssertEqual(retrying.count, 3)
        let first = try XCTUnwrap(retrying.first?["id"] as? String)
        XCTAssertEqual(try json(run("retry", "kill", "default", first, "-o", "json"))["moved"] as? Int, 1)
        XCTAssertEqual(try summary("default")["failed"], 1)
        XCTAssertEqual(try summary("default")["retry"], 2)

        _ = try sidekiq("set-failing", "off")
        XCTAssertEqual(try json(run("retry", "run-now", "default", "--all", "-o", "json"))["moved"] as? Int, 2)
        // A job mqctl writes as Sidekiq's client would: Sidekiq's worker runs it.
        XCTAssertEqual(run("enqueue", "default", #"{"class":"InteropJob","args":[7,0]}"#, "-q").code, 0)
        let job = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try redis("LINDEX", "queue:default", 0).string().utf8)) as? [String: Any])
        XCTAssertEqual((job["jid"] as? String)?.count, 24)
        XCTAssertEqual(job["queue"] as? String, "default")
        XCTAssertEqual(job["retry"] as? Bool, true)
        XCTAssertNotNil(job["enqueued_at"] as? Double)
        let worked = try sidekiq("work", "--queue", "default")
        XCTAssertEqual(worked["succeeded"] as? Int, 3)
        XCTAssertEqual(try summary("default")["ready"], 0)
    }
}
