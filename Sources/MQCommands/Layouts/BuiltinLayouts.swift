/// The layouts of the frameworks mqctl knows, read by the same reader as
/// the config file (which may replace one by declaring its name). Each is
/// taken from the framework's source; see ../shared/LAYOUTS.md and the
/// README's section per framework for the versions tested.
enum BuiltinLayouts {
    static let toml = #"""
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
        enqueue_requires = ["/class", "/args"]

        [layouts.sidekiq.refuse]
        work = "Sidekiq's jobs run in Sidekiq's processes, which count retries and write failed_at and error_class as its Web UI expects"

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
        # enqueue of {"func": "module.function", "args": [...], "kwargs": {...}} writes the pickled call.
        protocol = "rq"
        error_source = { key = "rq:results:{id}", field = "exc_string", encoding = "base64-zlib" }
        # BaseRegistry.requeue leaves retries_left and number_of_retries as they are.
        replay = { attempts = "keep" }

        [layouts.rq.refuse]
        work = "an RQ job is a pickled Python call; RQ's worker runs it"

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

        # Celery 5 over kombu's Redis transport (kombu/transport/redis.py): JSON envelopes
        # LPUSHed to the queue's list or its priority buckets (kombu's separator \x06\x16 and
        # the step), BRPOPed lowest step first. Queues are found through the default exchange's
        # bindings; declare others in the config file with this layout's keys.
        [layouts.celery]
        description = "Celery 5 (kombu Redis transport): envelope lists with priority buckets; no retry or dead state in Redis"
        queues = { set = "_kombu.binding.celery", prefix = "celery\u0006\u0016\u0006\u0016" }
        push = "left"
        pop = "right"
        ready = [
          { tier = "0", key = "{queue}" },
          { tier = "3", key = "{queue}\u0006\u00163" },
          { tier = "6", key = "{queue}\u0006\u00166" },
          { tier = "9", key = "{queue}\u0006\u00169" },
        ]
        member = "json"
        # enqueue of {"task": "name", "args": [...], "kwargs": {...}} writes send_task's envelope.
        protocol = "celery"

        [layouts.celery.fields]
        id = "/headers/id"
        attempts = "/headers/retries"

        [layouts.celery.refuse]
        dead = "Celery keeps no failed tasks in the broker: they are results (celery-task-meta-ID) in the result backend"
        retry = "Celery retries by publishing a new message with an ETA; there is no retry set in Redis"
        delayed = "Celery's ETA tasks wait in the ready lists and in a worker's memory; there is no delayed set in Redis"
        work = "Celery's tasks run in Celery's worker"

        # Huey 2.x and 3.x RedisStorage (huey/storage.py): pickled messages LPUSHed to
        # huey.redis.NAME and BRPOPed; scheduled ones in huey.schedule.NAME scored by epoch
        # seconds (mktime of the ETA: true epoch seconds when the consumer runs in UTC).
        [layouts.huey]
        description = "Huey 2.x-3.x RedisStorage: pickled messages in huey.redis.NAME, schedule in huey.schedule.NAME"
        queues = { pattern = "huey.redis.{queue}" }
        push = "left"
        pop = "right"
        ready = ["huey.redis.{queue}"]
        delayed = { key = "huey.schedule.{queue}", score = "seconds" }
        member = "bytes"

        [layouts.huey.refuse]
        dead = "Huey keeps no failed tasks: a task out of retries leaves only an Error result in huey.results.NAME"
        retry = "Huey retries by scheduling the task again; its retries are in huey.schedule.NAME (delayed)"
        enqueue = "a Huey message is a pickled Message tuple; enqueue it with Huey"
        work = "Huey's tasks run in Huey's consumer"

        # BullMQ 5 (src/classes/queue-keys.ts, src/commands/*.lua, as the bullmq Python port
        # 2.x-3.x runs them): job ids LPUSHed to bull:NAME:wait and taken from the right; jobs
        # in hashes bull:NAME:ID; delayed scores are epoch ms x 0x1000 plus an ordinal; failed
        # jobs scored by finishedOn (ms). Writes follow BullMQ's scripts (protocol): marker,
        # events, priorities; replay is Job.retry with its attempts reset.
        [layouts.bullmq]
        description = "BullMQ 5: bull:NAME:wait ids, bull:NAME:ID job hashes, delayed and failed sets"
        queues = { pattern = "bull:{queue}:meta" }
        push = "left"
        pop = "right"
        ready = ["bull:{queue}:wait"]
        delayed = { key = "bull:{queue}:delayed", score = "bullmq" }
        dead = { key = "bull:{queue}:failed", type = "zset", score = "milliseconds" }
        member = { id = "bull:{queue}:{id}", store = "hash", payload = "data" }
        protocol = "bullmq"
        # What enqueue takes: Queue.add's arguments as one object.
        enqueue_requires = ["/name", "/data"]

        [layouts.bullmq.fields]
        attempts = "atm"
        error = "failedReason"
        enqueued_at = { path = "timestamp", unit = "milliseconds" }
        failed_at = { path = "finishedOn", unit = "milliseconds" }

        [layouts.bullmq.refuse]
        retry = "BullMQ retries through its delayed set or the wait list; there is no retry set"
        work = "BullMQ's jobs run in BullMQ's workers"

        # Dramatiq 1.x and 2.x Redis broker (dramatiq/brokers/redis.py, redis/dispatch.lua): a
        # queue's list holds redis_message_ids (RPUSH, LPOP) whose JSON is in the hash
        # dramatiq:Q.msgs; dead letters in the sorted set dramatiq:Q.XQ (epoch ms) with their
        # JSON in dramatiq:Q.XQ.msgs. A replay needs a new redis_message_id, written into the
        # message too, since consumers ack by the id in the message.
        [layouts.dramatiq]
        description = "Dramatiq 1.x-2.x Redis broker: dramatiq:Q id lists, JSON in Q.msgs hashes, dead letters in Q.XQ"
        queues = { pattern = "dramatiq:{queue}.msgs", role_suffixes = [".DQ", ".XQ"] }
        push = "right"
        pop = "left"
        ready = ["dramatiq:{queue}"]
        dead = { key = "dramatiq:{queue}.XQ", type = "zset", score = "milliseconds" }
        member = { store = "role_hash", suffix = ".msgs" }
        replay = { attempts = "reset", new_id_path = "/options/redis_message_id" }

        # What Message and RedisBroker.enqueue fill in; the redis_message_id is the new id.
        enqueue_requires = ["/actor_name", "/args"]

        [layouts.dramatiq.enqueue_defaults]
        queue_name = "$queue"
        kwargs = "$json:{}"
        options = "$json:{}"
        message_id = "$uuid"
        message_timestamp = "$now:milliseconds"

        [layouts.dramatiq.fields]
        id = "/message_id"
        attempts = "/options/retries"
        error = "/options/traceback"
        enqueued_at = { path = "/message_timestamp", unit = "milliseconds" }

        [layouts.dramatiq.refuse]
        delayed = "Dramatiq's delayed queue (Q.DQ) is a list whose messages a worker holds until their eta; there is no sorted set to read"
        retry = "Dramatiq retries through its delayed queue (Q.DQ)"
        work = "Dramatiq's actors run in Dramatiq's workers"

        # asynq 0.2x (internal/base/base.go, internal/rdb/rdb.go, inspect.go): every key of a
        # queue carries the hash tag {NAME}; pending ids are LPUSHed and taken from the right;
        # a task is the hash asynq:{NAME}:t:ID whose `msg` is a protobuf TaskMessage (3 id,
        # 6 retried, 7 error_msg, 11 last_failed_at) and whose `state` names its container.
        # Replay and run-now follow the inspector's RunTask: LPUSH pending, state pending.
        [layouts.asynq]
        description = "asynq 0.2x: asynq:{NAME}:pending ids, task hashes with protobuf msg, scheduled, retry and archived sets"
        queues = { set = "asynq:queues" }
        push = "left"
        pop = "right"
        ready = ["asynq:{{queue}}:pending"]
        delayed = { key = "asynq:{{queue}}:scheduled", score = "seconds" }
        retry = { key = "asynq:{{queue}}:retry", score = "seconds" }
        # archiveCmd: 90 days, ZREMRANGEBYRANK 0 -10000 (at most 9,999 stay).
        dead = { key = "asynq:{{queue}}:archived", type = "zset", score = "seconds", max = 9999, max_age = "90d" }
        member = { id = "asynq:{{queue}}:t:{id}", store = "hash", payload = "msg", protobuf = { 3 = "task_id", 6 = "retried", 7 = "error_msg", 11 = "last_failed_at" } }
        # RunTask keeps msg (retried, error_msg) as it is.
        replay = { attempts = "keep" }

        [layouts.asynq.fields]
        attempts = "retried"
        error = "error_msg"
        enqueued_at = { path = "pending_since", unit = "nanoseconds" }
        failed_at = { path = "last_failed_at", unit = "seconds" }

        [layouts.asynq.ready_fields]
        state = "pending"
        pending_since = "$now:nanoseconds"

        [layouts.asynq.dead_fields]
        state = "archived"

        [layouts.asynq.refuse]
        enqueue = "an asynq task is a protobuf TaskMessage; enqueue it with asynq's client"
        work = "asynq's tasks run in asynq's servers"
        """#
}
