-- wrk script: every request carries `Authorization: Bearer $TOKEN`, as fast as it goes.
local token = os.getenv("TOKEN")

function init(args)
    if token then
        wrk.headers["Authorization"] = "Bearer " .. token
    end
end
