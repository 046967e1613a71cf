-- wrk: the same POSTs, each connection pausing between requests, so the offered load stays well
-- below saturation and the latency measured is the proxy's own cost, not queueing.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"m1","stream":false,"messages":[{"role":"user","content":"Say hello in one word."}]}'
local pause_ms = tonumber(os.getenv("BENCH_PACE_MS") or "20")
function delay()
  return pause_ms
end
