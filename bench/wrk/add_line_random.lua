-- add_line.lua with each request's draft picked at random (as bench/pgbench/add_line.sql picks its
-- invoice), not in turn: concurrent adds to one draft are far more frequent (`bench/ab.py --wrk 5
-- --script add_line_random.lua`). POST a line item to one of N draft invoices (their ids in the file
-- BILLFOLD_BENCH_IDS), each request with its own Idempotency-Key.
local common = dofile("bench/wrk/common.lua")
local threads, counter = {}, 0
local ids, tag

function setup(thread)
  thread:set("tag", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  ids = common.lines(os.getenv("BILLFOLD_BENCH_IDS"))
  tag = tostring(wrk.thread:get("tag")) .. "-" .. common.run_tag()
  math.randomseed(tonumber((tag:gsub("%D", "")):sub(1, 9)) or 1)  -- each thread and run its own
end

local body = '{"name": "Item", "quantity": "3", "unitPrice": "12.345"}'

function request()
  counter = counter + 1
  local invoice = ids[math.random(1, #ids)]
  local headers = {
    ["X-API-KEY"] = common.key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "add-" .. tag .. "-" .. counter,
  }
  return wrk.format("POST", "/v1/invoices/" .. invoice .. "/line-items", headers, body)
end

done = common.done(threads)
