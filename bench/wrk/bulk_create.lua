-- POST /v1/invoices with BILLFOLD_BENCH_LINES lines in one request, for customer BILLFOLD_BENCH_CUSTOMER.
local common = dofile("bench/wrk/common.lua")
local threads, counter = {}, 0
local body, tag

function setup(thread)
  thread:set("tag", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  local count = tonumber(os.getenv("BILLFOLD_BENCH_LINES"))
  local lines = {}
  for i = 1, count do
    lines[i] = string.format('{"name": "Item %d", "quantity": "%d", "unitPrice": "12.345"}', i % 50, i % 7 + 1)
  end
  body = '{"customerId": "' .. os.getenv("BILLFOLD_BENCH_CUSTOMER") .. '", "lineItems": ['
    .. table.concat(lines, ", ") .. "]}"
  tag = tostring(wrk.thread:get("tag")) .. "-" .. common.run_tag()
end

function request()
  counter = counter + 1
  local headers = {
    ["X-API-KEY"] = common.key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bulk-" .. tag .. "-" .. counter,
  }
  return wrk.format("POST", "/v1/invoices", headers, body)
end

done = common.done(threads)
