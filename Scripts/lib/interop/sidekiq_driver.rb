# Sidekiq driver for Scripts/interop (Debian's ruby-sidekiq, 6.4.x).
#
#   ruby sidekiq_driver.rb enqueue --url URL --queue Q --count N [--fail-every K] [--retry R]
#   ruby sidekiq_driver.rb work    --url URL --queue Q [--seconds S] [--keep-retries]
#   ruby sidekiq_driver.rb counts  --url URL --queue Q
#   ruby sidekiq_driver.rb replay  --url URL --queue Q [--from dead|retry] [--all-queues]
#   ruby sidekiq_driver.rb set-failing on|off --url URL
#
# Everything goes through Sidekiq's own code: Worker.perform_async for the
# client, Sidekiq::Launcher (the same object `sidekiq` runs) for the worker,
# Sidekiq::Scheduled::Enq (the poller's own step) to move due retries,
# Sidekiq::Stats / Queue / RetrySet / DeadSet / ScheduledSet for counts, and
# SortedEntry#retry (what DeadSet#retry_all calls per entry) for replay.
# Prints one JSON object on stdout; logs go to stderr.
require "json"
require "optparse"
begin
  require "sidekiq"
  require "sidekiq/api"
  require "sidekiq/launcher"
  require "sidekiq/scheduled"
rescue LoadError => e
  warn "interop sidekiq: cannot load Sidekiq (#{e.message}) — run Scripts/interop setup"
  exit 2
end

FRAMEWORK = "sidekiq"
FLAG_KEY = "interop:fail:#{FRAMEWORK}"     # jobs fail while this key exists
RUNS_KEY = "interop:runs:#{FRAMEWORK}"     # every execution
DONE_KEY = "interop:done:#{FRAMEWORK}"     # successful executions
FAILS_KEY = "interop:fails:#{FRAMEWORK}"   # failed executions

def die(msg, code = 2)
  warn "interop sidekiq: #{msg}"
  exit code
end

def out(obj)
  $stdout.puts JSON.generate(obj)
end

class InteropError < StandardError; end

# The task the harness defines: job i fails with "boom i" when i % k == 0
# while FLAG_KEY exists, and succeeds otherwise.
class InteropJob
  include Sidekiq::Worker
  sidekiq_options retry: 1

  def perform(i, k)
    Sidekiq.redis { |c| c.incr(RUNS_KEY) }
    failing = k.to_i > 0 && (i.to_i % k.to_i).zero? && Sidekiq.redis { |c| c.exists?(FLAG_KEY) }
    if failing
      Sidekiq.redis { |c| c.incr(FAILS_KEY) }
      raise InteropError, "boom #{i}"
    end
    Sidekiq.redis { |c| c.incr(DONE_KEY) }
    i
  end
end

def counters
  vals = Sidekiq.redis { |c| c.mget(RUNS_KEY, DONE_KEY, FAILS_KEY) }
  {"runs" => vals[0].to_i, "done" => vals[1].to_i, "fails" => vals[2].to_i}
end

def in_queue(set, q)
  set.count { |e| e.queue == q }
end

def counts(q)
  stats = Sidekiq::Stats.new
  queue = Sidekiq::Queue.new(q)
  retries = Sidekiq::RetrySet.new
  dead = Sidekiq::DeadSet.new
  scheduled = Sidekiq::ScheduledSet.new
  c = counters
  {
    "framework" => FRAMEWORK, "version" => Sidekiq::VERSION, "queue" => q,
    "api" => {
      "Queue#size" => queue.size, "Queue#latency" => queue.latency.round(3),
      "Stats#processed" => stats.processed, "Stats#failed" => stats.failed,
      "Stats#enqueued" => stats.enqueued, "Stats#scheduled_size" => stats.scheduled_size,
      "Stats#retry_size" => stats.retry_size, "Stats#dead_size" => stats.dead_size,
      "Stats#processes_size" => stats.processes_size,
      "RetrySet(queue)" => in_queue(retries, q), "DeadSet(queue)" => in_queue(dead, q),
      "ScheduledSet(queue)" => in_queue(scheduled, q)
    },
    "summary" => {
      "ready" => queue.size, "scheduled" => in_queue(scheduled, q),
      "retry" => in_queue(retries, q), "failed" => in_queue(dead, q),
      "running" => 0, "done" => c["done"]
    },
    "counters" => c,
    "failing" => Sidekiq.redis { |r| r.exists?(FLAG_KEY) }
  }
end

def parse(argv)
  opts = {count: 1, fail_every: 0, seconds: 60.0, retry: 1, from: "dead"}
  OptionParser.new do |o|
    o.on("--url URL") { |v| opts[:url] = v }
    o.on("--queue Q") { |v| opts[:queue] = v }
    o.on("--count N", Integer) { |v| opts[:count] = v }
    o.on("--fail-every K", Integer) { |v| opts[:fail_every] = v }
    o.on("--retry R", Integer) { |v| opts[:retry] = v }
    o.on("--seconds S", Float) { |v| opts[:seconds] = v }
    o.on("--keep-retries") { opts[:keep_retries] = true }
    o.on("--stay") { opts[:stay] = true }
    o.on("--from SET") { |v| opts[:from] = v }
    o.on("--all-queues") { opts[:all_queues] = true }
  end.parse!(argv)
  opts
rescue OptionParser::ParseError => e
  die(e.message, 64)
end

cmd = ARGV.shift or die("usage: sidekiq enqueue|work|counts|replay|set-failing ...", 64)
onoff = (cmd == "set-failing") ? ARGV.shift : nil
opts = parse(ARGV)
die("--url redis://HOST:PORT/DB is required", 64) unless opts[:url]
needs_queue = %w[enqueue work counts replay].include?(cmd)
die("--queue is required", 64) if needs_queue && !opts[:queue]

VERBOSE = !ENV["MQCTL_INTEROP_VERBOSE"].to_s.empty?
# redis-rb 4.8 warns about calls Sidekiq 6.4 makes; they are not ours to fix.
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)
Sidekiq.logger = Sidekiq::Logger.new($stderr)
Sidekiq.logger.level = VERBOSE ? Logger::INFO : Logger::ERROR
# A failing job is expected here: one line per failure, not a backtrace.
Sidekiq.error_handlers.clear
Sidekiq.error_handlers << lambda do |ex, ctx|
  warn "interop sidekiq: #{ex.class}: #{ex.message}" if VERBOSE || !ex.is_a?(InteropError)
end
Sidekiq.redis = {url: opts[:url], size: 10}
q = opts[:queue]

case cmd
when "set-failing"
  case onoff
  when "on" then Sidekiq.redis { |c| c.set(FLAG_KEY, "1") }
  when "off" then Sidekiq.redis { |c| c.del(FLAG_KEY) }
  else die("set-failing takes on or off", 64)
  end
  out("framework" => FRAMEWORK, "failing" => onoff == "on", "flag_key" => FLAG_KEY)

when "enqueue"
  # Enqueueing failing jobs turns the failure flag on (set-failing off to stop).
  Sidekiq.redis { |c| c.set(FLAG_KEY, "1") } if opts[:fail_every] > 0
  jids = (1..opts[:count]).map do |i|
    InteropJob.set(queue: q, retry: opts[:retry]).perform_async(i, opts[:fail_every])
  end
  out("framework" => FRAMEWORK, "queue" => q, "enqueued" => jids.size,
    "failing" => opts[:fail_every] > 0 ? (1..opts[:count]).count { |i| (i % opts[:fail_every]).zero? } : 0,
    "retry" => opts[:retry], "ids" => jids)

when "work"
  # Sidekiq has no burst mode: run a Launcher (heartbeat, poller, fetcher,
  # processors) in this process until the queue is drained, nothing is busy,
  # and no retry of this queue is pending; then stop it as `sidekiq` does on
  # TERM. Sidekiq's own retry delay is at least 15 s (count**4 + 15 + jitter)
  # and its poller first waits 10-15 s, so unless --keep-retries is given
  # each pass sets the score of this queue's retry entries to now (ZADD XX
  # of the exact member string; SortedEntry#reschedule would ZINCRBY a
  # re-serialized copy, which is a new member when the stored JSON does not
  # round-trip byte for byte) and runs the poller's own step
  # (Scheduled::Enq#enqueue_jobs: Lua ZRANGEBYSCORE+ZREM, then Client.push,
  # which sets a new enqueued_at and keeps retry_count).
  before = counters
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  options = Sidekiq.options.merge(queues: [q], concurrency: 2, timeout: 8)
  launcher = Sidekiq::Launcher.new(options)
  launcher.run
  enq = Sidekiq::Scheduled::Enq.new
  quiet_since = nil
  last_runs = nil
  timed_out = false
  loop do
    now = Time.now.to_f
    unless opts[:keep_retries]
      due = Sidekiq::RetrySet.new.select { |e| e.queue == q && e.score > now }
      Sidekiq.redis { |c| due.each { |e| c.zadd("retry", now.to_s, e.value, xx: true) } } unless due.empty?
    end
    enq.enqueue_jobs
    runs = counters["runs"]
    retry_due = opts[:keep_retries] ? 0 : in_queue(Sidekiq::RetrySet.new, q)
    idle = Sidekiq::Queue.new(q).size.zero? && Sidekiq::Processor::WORKER_STATE.size.zero? && retry_due.zero?
    if opts[:stay]
      # a worker kept running for --seconds: only the time ends it
    elsif idle && runs == last_runs
      quiet_since ||= Process.clock_gettime(Process::CLOCK_MONOTONIC)
      break if Process.clock_gettime(Process::CLOCK_MONOTONIC) - quiet_since >= 0.6
    else
      quiet_since = nil
    end
    last_runs = runs
    if Process.clock_gettime(Process::CLOCK_MONOTONIC) - started > opts[:seconds]
      timed_out = !opts[:stay]
      break
    end
    sleep 0.2
  end
  launcher.stop
  Sidekiq::Launcher.flush_stats
  after = counters
  out("framework" => FRAMEWORK, "queue" => q,
    "ran" => after["runs"] - before["runs"], "succeeded" => after["done"] - before["done"],
    "failed" => after["fails"] - before["fails"], "timed_out" => timed_out,
    "seconds" => (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).round(2),
    "counts" => counts(q)["summary"])

when "counts"
  out(counts(q))

when "replay"
  # The framework's own replay: SortedEntry#retry (remove_job, retry_count -= 1,
  # Client.push), which is what DeadSet#retry_all / RetrySet#retry_all call for
  # each entry. --all-queues calls retry_all itself.
  set = (opts[:from] == "retry") ? Sidekiq::RetrySet.new : Sidekiq::DeadSet.new
  die("--from takes dead or retry", 64) unless %w[dead retry].include?(opts[:from])
  if opts[:all_queues]
    n = set.size
    set.retry_all
    out("framework" => FRAMEWORK, "queue" => q, "from" => set.name, "api" => "#{set.class}#retry_all", "replayed" => n)
  else
    entries = set.select { |e| e.queue == q }
    entries.each(&:retry)
    out("framework" => FRAMEWORK, "queue" => q, "from" => set.name, "api" => "SortedEntry#retry",
      "replayed" => entries.size, "ids" => entries.map(&:jid))
  end

else
  die("unknown command #{cmd}", 64)
end
