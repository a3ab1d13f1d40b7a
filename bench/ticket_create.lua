-- POST /api/v1/tickets: a new service order for a random company of 1..10000
local token = os.getenv("TOKEN")
math.randomseed(11)
local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
request = function()
  local body = string.format('{"subject":"Printer jams on floor %d","company_id":%d,"priority":"high","channel":"phone"}',
                             math.random(1, 9), math.random(1, 10000))
  return wrk.format("POST", "/api/v1/tickets", headers, body)
end
