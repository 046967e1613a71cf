-- wrk: small non-streaming chat completion POSTs.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"m1","stream":false,"messages":[{"role":"user","content":"Say hello in one word."}]}'
