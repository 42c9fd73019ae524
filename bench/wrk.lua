-- wrk script of bench/bench.mjs: prints one JSON line of the run's figures,
-- and, given a file of paths (one per line, repeated by weight), requests
-- them in a seeded random order: the mixed workload.
--   wrk ... -s bench/wrk.lua URL                 the one URL
--   wrk ... -s bench/wrk.lua URL -- paths.txt    a mix of paths on URL's host

local paths = nil
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  if args[1] then
    paths = {}
    for line in io.lines(args[1]) do
      if line ~= "" then paths[#paths + 1] = line end
    end
    -- Each thread draws its own, repeatable sequence.
    math.randomseed(4242 + (id or 0))
  end
end

function request()
  if paths then
    return wrk.format("GET", paths[math.random(#paths)])
  end
  return wrk.format("GET")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d,"non_2xx":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
