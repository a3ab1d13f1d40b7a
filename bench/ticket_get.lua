-- GET /api/v1/tickets/{random id of 1..TICKETS} with the token in TOKEN
local token = os.getenv("TOKEN")
local n = tonumber(os.getenv("TICKETS") or "100000")
math.randomseed(7)
request = function()
  return wrk.format("GET", "/api/v1/tickets/" .. math.random(1, n), {["Authorization"] = "Bearer " .. token})
end
