-- Shared by every script: the API key from the environment and one machine-readable result line.
local common = {}

common.key = os.getenv("BILLFOLD_BENCH_KEY") or ""

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *spec);
]]

-- Seconds on the monotonic clock (wrk's own duration is the -d given, even when threads stop early).
function common.now()
  local spec = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, spec)
  return tonumber(spec.tv_sec) + tonumber(spec.tv_nsec) / 1e9
end

-- A tag no other run shares, for this run's Idempotency-Keys: LuaJIT seeds math.random the same in every
-- process, so its numbers alone repeat from one wrk run to the next (a second run's adds would be replays).
function common.run_tag()
  local source = io.open("/proc/sys/kernel/random/uuid")
  if source then
    local tag = source:read("*l")
    source:close()
    return tag
  end
  return tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))
end

function common.lines(path)
  local found = {}
  for line in io.lines(path) do
    if line ~= "" then found[#found + 1] = line end
  end
  return found
end

-- done(): requests, seconds, non-2xx answers, socket errors and latency percentiles (microseconds),
-- plus any per-thread counter named in `counters`.
function common.done(threads, counters)
  return function(summary, latency, requests)
    local extra = ""
    for _, name in ipairs(counters or {}) do
      local total = 0
      for _, thread in ipairs(threads) do total = total + (thread:get(name) or 0) end
      extra = extra .. string.format(', "%s": %d', name, total)
    end
    local seconds = summary.duration / 1e6
    local started, finished = nil, nil
    for _, thread in ipairs(threads) do
      local first, last = thread:get("started"), thread:get("finished")
      if first and (started == nil or first < started) then started = first end
      if last and (finished == nil or last > finished) then finished = last end
    end
    if started and finished then seconds = finished - started end
    local errors = summary.errors
    io.write(string.format(
      'RESULT {"requests": %d, "seconds": %.3f, "status_errors": %d, "socket_errors": %d, '
        .. '"p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f%s}\n',
      summary.requests, seconds, errors.status,
      errors.connect + errors.read + errors.write + errors.timeout,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, extra))
  end
end

return common
