-- wrk: the same POSTs, each connection pausing a random 0.5x-1.5x BENCH_PACE_MS between requests
-- (so arrivals are spread, not in lock-step bursts), keeping the offered load well
-- below saturation and the latency measured is the proxy's own cost, not queueing.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"m1","stream":false,"messages":[{"role":"user","content":"Say hello in one word."}]}'
local pause_ms = tonumber(os.getenv("BENCH_PACE_MS") or "20")
function delay()
  return math.random(math.floor(pause_ms / 2), math.floor(pause_ms * 3 / 2))
end
