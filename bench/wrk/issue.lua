-- Issue each draft invoice in the file BILLFOLD_BENCH_IDS once (the ids split between wrk's threads);
-- a thread stops when all of its invoices are issued. Counts issued (200) and refused answers.
local common = dofile("bench/wrk/common.lua")
local threads = {}
local ids, position, issued, refused = {}, 0, 0, 0

function setup(thread)
  thread:set("index", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  local all = common.lines(os.getenv("BILLFOLD_BENCH_IDS"))
  local index, count = wrk.thread:get("index"), tonumber(os.getenv("BILLFOLD_BENCH_THREADS"))
  for i, id in ipairs(all) do
    if (i - 1) % count == index then ids[#ids + 1] = id end
  end
  wrk.thread:set("started", common.now())
end

local headers = { ["X-API-KEY"] = common.key, ["Content-Type"] = "application/json" }

-- wrk may build a thread's first request and never send it, so an invoice counts as issued when its
-- answer comes back, and once every id has been sent the first one is sent again if still unanswered
-- (when its first copy was in flight after all, the copy answers 409 and counts as `refused`).
local answered, resent = {}, false

function request()
  position = position + 1
  local id = ids[position]
  if id == nil and not resent and not answered[ids[1]] then
    id, resent = ids[1], true
  end
  if id == nil then return wrk.format("GET", "/health") end
  return wrk.format("POST", "/v1/invoices/" .. id .. "/issue", headers, "{}")
end

-- Once a thread has sent all its invoices, its idle connections poll /health slowly.
function delay()
  if position >= #ids then return 50 end
  return 0
end

function response(status, headers, body)
  local id = string.match(body, '"id":"([0-9a-f-]+)"')
  if status ~= 200 then
    refused = refused + 1
  elseif id and string.find(body, '"invoiceNumber"', 1, true) and not answered[id] then
    answered[id] = true
    issued = issued + 1
  end
  wrk.thread:set("issued", issued)
  wrk.thread:set("refused", refused)
  if issued >= #ids and not wrk.thread:get("finished") then
    wrk.thread:set("finished", common.now())
    local marker = io.open(os.getenv("BILLFOLD_BENCH_MARKER"), "a")
    marker:write("stopped\n")
    marker:close()
    wrk.thread:stop()
  end
end

done = common.done(threads, { "issued", "refused" })
