/// The layouts of the frameworks mqctl knows, read by the same reader as
/// the config file (which may replace one by declaring its name). Each is
/// taken from the framework's source; see ../shared/LAYOUTS.md and the
/// README's section per framework for the versions tested.
enum BuiltinLayouts {
    static let toml = """
        # Sidekiq 6.4 to 7.x without redis-namespace (lib/sidekiq/client.rb, job_retry.rb,
        # scheduled.rb, api.rb): the client LPUSHes job JSON to queue:NAME and SADDs NAME to
        # `queues`; the fetcher BRPOPs, so the right end is the oldest. `schedule`, `retry`
        # and `dead` are sorted sets shared by all queues, scored in epoch seconds.
        [layouts.sidekiq]
        description = "Sidekiq 6.4-7.x: queue:NAME lists; schedule, retry and dead shared by every queue"
        queues = { set = "queues" }
        push = "left"
        pop = "right"
        ready = ["queue:{queue}"]
        delayed = { key = "schedule", score = "seconds" }
        retry = { key = "retry", score = "seconds" }
        # DeadSet#kill trims to dead_timeout_in_seconds (180 days) and ZREMRANGEBYRANK 0
        # -dead_max_jobs, which leaves at most 9,999 of its 10,000.
        dead = { key = "dead", type = "zset", score = "seconds", max = 9999, max_age = "180d" }
        member = "json"
        max_attempts = 25
        # SortedEntry#retry: retry_count -= 1, then Client#push, which sets enqueued_at.
        replay = { attempts = "decrement", stamp_enqueued_at = true }

        [layouts.sidekiq.fields]
        id = "/jid"
        queue = "/queue"
        attempts = "/retry_count"
        error_class = "/error_class"
        error = "/error_message"
        enqueued_at = { path = "/enqueued_at", unit = "fractional_seconds" }

        # What JobUtil#normalize_item fills in for a job pushed by Sidekiq::Client.
        [layouts.sidekiq.enqueue_defaults]
        jid = "$hex24"
        queue = "$queue"
        retry = true
        created_at = "$now:fractional_seconds"

        # RQ 1.16 to 3.0 (rq/queue.py, job.py, registry.py): rq:queues holds rq:queue:NAME; the
        # queue lists hold job ids (RPUSH, the left end is next) whose jobs are the hashes
        # rq:job:ID. A failed job's id sits in rq:failed:NAME scored by its expiry (now plus
        # failure_ttl), its traceback in the stream rq:results:ID (base64 of zlib).
        [layouts.rq]
        description = "RQ 1.16-3.0: rq:queue:NAME id lists, rq:job:ID hashes, scheduled and failed registries"
        queues = { set = "rq:queues", prefix = "rq:queue:" }
        push = "right"
        pop = "left"
        ready = ["rq:queue:{queue}"]
        delayed = { key = "rq:scheduled:{queue}", score = "seconds" }
        dead = { key = "rq:failed:{queue}", type = "zset", score = "seconds", score_is_expiry = true }
        member = { id = "rq:job:{id}", store = "hash", payload = "data" }
        error_source = { key = "rq:results:{id}", field = "exc_string", encoding = "base64-zlib" }

        [layouts.rq.fields]
        attempts = "number_of_retries"
        enqueued_at = { path = "enqueued_at", unit = "utc_microseconds" }
        failed_at = { path = "ended_at", unit = "utc_microseconds" }

        # Queue._enqueue_job: status queued and a new enqueued_at, on every push.
        [layouts.rq.ready_fields]
        status = "queued"
        enqueued_at = "$now:utc_microseconds"

        # BaseRegistry.requeue clears these before it enqueues.
        [layouts.rq.replay_fields]
        started_at = ""
        ended_at = ""
        exc_info = ""
        """
}
