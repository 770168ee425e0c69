-- wrk script: each connection sends one request, waits for its answer, then waits `PACE_MS`
-- (environment) before the next, so N connections send about N × 1000 / PACE_MS requests a
-- second: a fixed rate well below capacity, for latency at a steady load. Optional METHOD,
-- BODY and TOKEN (a bearer token) from the environment too.
local pace = tonumber(os.getenv("PACE_MS") or "10")
local method = os.getenv("METHOD") or "GET"
local body = os.getenv("BODY")
local token = os.getenv("TOKEN")

function init(args)
    wrk.method = method
    if body then
        wrk.body = body
        wrk.headers["Content-Type"] = "application/json"
    end
    if token then
        wrk.headers["Authorization"] = "Bearer " .. token
    end
end

function delay()
    return pace
end
