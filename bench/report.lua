-- wrk script for bench/drive.py: counts non-2xx responses across all threads
-- and prints one machine-readable BENCH_RESULT line at the end.
-- The request method and body come from BENCH_METHOD / BENCH_BODY; headers
-- are passed with wrk's -H.
--
-- Chain mode (refresh_token with rotation): when BENCH_CHAIN_SEEDS is set
-- (comma-separated values, split among the BENCH_CHAIN_THREADS wrk threads),
-- each request's body is BENCH_BODY with "{chain}" replaced by a value from
-- the thread's queue, and every 2xx response gives the queue the value of the
-- JSON field BENCH_CHAIN_FIELD (the rotated refresh token), as a client
-- would keep the refresh token it was just given. A thread whose queue is
-- empty (its chains broke on errors) sends "starved" and counts it.

local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then
  wrk.method = method
end
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
end

local chain_seeds = os.getenv("BENCH_CHAIN_SEEDS") or ""
local chain_field = os.getenv("BENCH_CHAIN_FIELD") or ""
local chain_threads = tonumber(os.getenv("BENCH_CHAIN_THREADS") or "1") or 1

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end

function init(args)
  non2xx = 0
  starved = 0
  -- A FIFO as a table with explicit head and tail (no holes for # to trip on).
  queue = {}
  head = 1
  tail = 0
  if chain_seeds ~= "" then
    local i = 0
    for value in string.gmatch(chain_seeds, "[^,]+") do
      if i % chain_threads == thread_index - 1 then
        tail = tail + 1
        queue[tail] = value
      end
      i = i + 1
    end
  end
end

if chain_seeds ~= "" then
  local pattern = '"' .. chain_field .. '"%s*:%s*"([^"]+)"'

  function request()
    local value = queue[head]
    if value then
      queue[head] = nil
      head = head + 1
    else
      value = "starved"
      starved = starved + 1
    end
    return wrk.format(nil, nil, nil, (string.gsub(body, "{chain}", value)))
  end

  function response(status, headers, response_body)
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
      return
    end
    local value = string.match(response_body or "", pattern)
    if value then
      tail = tail + 1
      queue[tail] = value
    end
  end
else
  function response(status, headers, response_body)
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
    end
  end
end

function done(summary, latency, requests)
  local total_non2xx = 0
  local total_starved = 0
  for _, thread in ipairs(threads) do
    total_non2xx = total_non2xx + (thread:get("non2xx") or 0)
    total_starved = total_starved + (thread:get("starved") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d "
      .. "connect=%d read=%d write=%d timeout=%d starved=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), total_non2xx,
    e.connect, e.read, e.write, e.timeout, total_starved
  ))
end
