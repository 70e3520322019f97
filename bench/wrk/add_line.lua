-- POST a line item to one of N draft invoices (their ids in the file BILLFOLD_BENCH_IDS), each request
-- with its own Idempotency-Key, as a client that retries safely would send. The drafts are taken in
-- turn; with BILLFOLD_BENCH_PICK=random each request's is picked at random (as bench/pgbench/add_line.sql
-- picks its invoice), so concurrent adds to one draft are far more frequent.
local common = dofile("bench/wrk/common.lua")
local threads, counter = {}, 0
local ids, tag
local random = os.getenv("BILLFOLD_BENCH_PICK") == "random"

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
  local invoice = random and ids[math.random(1, #ids)] or ids[counter % #ids + 1]
  local headers = {
    ["X-API-KEY"] = common.key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "add-" .. tag .. "-" .. counter,
  }
  return wrk.format("POST", "/v1/invoices/" .. invoice .. "/line-items", headers, body)
end

done = common.done(threads)
