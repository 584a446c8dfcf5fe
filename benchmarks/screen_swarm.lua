-- wrk script for benchmarks/screen_swarm.py: screens' players.
--
-- Each wrk thread has one connection and plays its share of the fleet (line
-- n of the screens file goes to thread n mod threads): every screen in turn,
-- two playlist polls (If-None-Match with the ETag it last got; a 200 teaches
-- it the new one) for each heartbeat, `rate` calls a second on schedule: a
-- call waits for its time and goes at once when it is late (an open loop;
-- the threads' schedules are staggered, as a real fleet's players are), or
-- as fast as answered with rate 0. wrk is given as many threads as
-- connections, so a response is the answer to the thread's last request.
--
-- wrk <options> -s screen_swarm.lua <url> -- <screens file> <threads> <rate> <mode> <screens>
-- mode: fleet (polls and heartbeats), poll, heartbeat; <screens>: the first
-- so many lines of the file.

local ffi = require("ffi")
ffi.cdef([[
  typedef struct { long tv_sec; long tv_usec; } timeval;
  int gettimeofday(timeval *tv, void *tz);
]])
local clock = ffi.new("timeval")

local function now_ms()
  ffi.C.gettimeofday(clock, nil)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_usec) / 1000
end

local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file, count, limit = args[1], tonumber(args[2]), tonumber(args[5])
  rate, mode = tonumber(args[3]), args[4]
  screens, statuses, calls, current = {}, {}, 0, nil
  -- thread n of count starts n/count of a call's interval in
  started = now_ms() + (rate > 0 and index / count * 1000 / rate or 0)
  local n = 0
  for line in io.lines(file) do
    if n >= limit then
      break
    end
    if n % count == index then
      local token, etag = line:match("^(%S+) (.+)$")
      table.insert(screens, { auth = "Bearer " .. token, etag = etag })
    end
    n = n + 1
  end
end

local beat = '{"version": "bench", "playing": null}'

function request()
  local cycle = 3 * #screens -- two polls and a heartbeat per screen
  local position = calls % cycle
  calls = calls + 1
  local heartbeat = mode == "heartbeat" or (mode == "fleet" and position >= 2 * #screens)
  current = screens[position % #screens + 1]
  if heartbeat then
    return wrk.format("POST", "/api/screens/heartbeat/", {
      ["Authorization"] = current.auth,
      ["Content-Type"] = "application/json",
    }, beat)
  end
  return wrk.format("GET", "/api/screens/playlist/", {
    ["Authorization"] = current.auth,
    ["If-None-Match"] = current.etag,
  })
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 and headers["ETag"] then
    current.etag = headers["ETag"]
  end
end

function delay()
  if rate == 0 then
    return 0
  end
  return math.max(0, started + calls * 1000 / rate - now_ms())
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'SWARM {"statuses": {%s}, "requests": %d, "seconds": %.3f, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, ' ..
    '"socket_errors": %d}\n',
    table.concat(parts, ", "), summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    errors.connect + errors.read + errors.write + errors.timeout
  ))
end
