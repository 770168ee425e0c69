-- wrk script: POST `BODY` (JSON) as fast as it goes, with `Authorization: Bearer $TOKEN` and any
-- further headers in `HEADERS` ("Name: value" pairs separated by "|").
local body = os.getenv("BODY") or "{}"
local token = os.getenv("TOKEN")
local extra = os.getenv("HEADERS") or ""

function init(args)
    wrk.method = "POST"
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Accept"] = "application/json, text/event-stream"
    if token then
        wrk.headers["Authorization"] = "Bearer " .. token
    end
    for pair in string.gmatch(extra, "[^|]+") do
        local name, value = string.match(pair, "^%s*([^:]+):%s*(.-)%s*$")
        if name then
            wrk.headers[name] = value
        end
    end
end
