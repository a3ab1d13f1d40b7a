-- GET the path in BENCH_PATH with the token in TOKEN (empty TOKEN: no header)
local token = os.getenv("TOKEN") or ""
local path = os.getenv("BENCH_PATH")
local headers = {}
if token ~= "" then headers["Authorization"] = "Bearer " .. token end
request = function() return wrk.format("GET", path, headers) end
