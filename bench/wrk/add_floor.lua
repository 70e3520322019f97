-- POST the same line as add_line.lua to one of the 16 pgbench invoices of bench/floor (ids 1-16), each
-- request with its own Idempotency-Key.
local common = dofile("bench/wrk/common.lua")
local threads, counter = {}, 0
local tag

function setup(thread)
  thread:set("tag", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  tag = tostring(wrk.thread:get("tag")) .. "-" .. common.run_tag()
end

local body = '{"name": "Item", "quantity": "3", "unitPrice": "12.345"}'

function request()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json", ["Idempotency-Key"] = "add-" .. tag .. "-" .. counter}
  return wrk.format("POST", "/add/" .. (counter % 16 + 1), headers, body)
end

done = common.done(threads)
