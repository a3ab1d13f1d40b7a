-- GET /api/v1/companies/{random id of 1..10000} with the token in TOKEN
local token = os.getenv("TOKEN")
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/companies/" .. math.random(1, 10000), {["Authorization"] = "Bearer " .. token})
end
