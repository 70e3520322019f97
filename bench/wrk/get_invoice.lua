-- GET one invoice (BILLFOLD_BENCH_INVOICE), over and over.
local common = dofile("bench/wrk/common.lua")
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function request()
  return wrk.format("GET", "/v1/invoices/" .. os.getenv("BILLFOLD_BENCH_INVOICE"), { ["X-API-KEY"] = common.key })
end

done = common.done(threads)
