-- POST /api/v1/quotes: a ten-line quote (equipment, labour, services) for
-- one of the demo firm's clients; ids come from BENCH_IDS
-- "company,product,work_type"
local token = os.getenv("TOKEN")
local c, p, w = string.match(os.getenv("BENCH_IDS"), "(%d+),(%d+),(%d+)")
local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
local lines = {}
for i = 1, 4 do
  lines[#lines + 1] = string.format('{"kind":"equipment","product_id":%s,"quantity":%d,"discount_bp":%d}', p, i, i * 250)
  lines[#lines + 1] = string.format('{"kind":"labor","work_type_id":%s,"quantity":%d.5}', w, i)
end
lines[#lines + 1] = '{"kind":"service","description":"Monitoring, per device","quantity":25,"unit_price":2500}'
lines[#lines + 1] = '{"kind":"service","description":"Cabling survey","unit_price":45000}'
local body = string.format('{"company_id":%s,"title":"Network refresh","tax_rate_bp":825,' ..
                           '"response_time_minutes":240,"coverage":"business_hours","warranty_days":90,' ..
                           '"lines":[%s]}', c, table.concat(lines, ","))
request = function() return wrk.format("POST", "/api/v1/quotes", headers, body) end
