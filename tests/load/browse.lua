-- browse.lua -- wrk script for the load test: officials browsing.
--
--   wrk ... -s browse.lua URL -- PATHS COOKIES
--
-- PATHS: one request path a line (the test writes /inbox, /docs, many
-- /docs/<id> and /static/style.css, repeated to weight them); COOKIES: one
-- session token a line (from logins made with curl: wrk cannot log in).
-- Each request takes a random path and a random official's session. The
-- answers are counted by status, and those a logged-in official should
-- never get (anything but 200) by path kind; done() prints both in lines
-- the test reads:
--   status 200 12345
--   unexpected /docs/ 303 2

local paths, cookies = {}, {}
counts, unexpected = {}, {}   -- globals: done() reads them with thread:get()
local last_path = nil
local threads = {}

local function lines(file)
   local t = {}
   local f = assert(io.open(file, "r"))
   for l in f:lines() do
      if l ~= "" then t[#t + 1] = l end
   end
   f:close()
   return t
end

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   paths = lines(args[1])
   cookies = lines(args[2])
   math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
   last_path = paths[math.random(#paths)]
   return wrk.format("GET", last_path,
                     { ["Cookie"] = "chancery_session=" .. cookies[math.random(#cookies)] })
end

local function kind(p)
   if p == nil then return "?" end
   local k = p:match("^(/docs/)") or p:match("^(/[%w]+)") or p
   return k
end

-- wrk answers in order on a connection, but with several connections a
-- thread's last request is not always the one answered: the kind is a
-- best guess, the status counts are exact.
function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
   if status ~= 200 then
      local k = kind(last_path) .. " " .. status
      unexpected[k] = (unexpected[k] or 0) + 1
   end
end

function done(summary, latency, requests)
   local total, odd = {}, {}
   for _, t in ipairs(threads) do
      for s, n in pairs(t:get("counts") or {}) do total[s] = (total[s] or 0) + n end
      for k, n in pairs(t:get("unexpected") or {}) do odd[k] = (odd[k] or 0) + n end
   end
   for s, n in pairs(total) do io.write(string.format("status %d %d\n", s, n)) end
   for k, n in pairs(odd) do io.write(string.format("unexpected %s %d\n", k, n)) end
   for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
      io.write(string.format("latency p%s %.1f ms\n", p, latency:percentile(p) / 1000))
   end
   io.write(string.format("latency max %.1f ms\n", latency.max / 1000))
   io.write(string.format("errors connect %d read %d write %d status %d timeout %d\n",
                          summary.errors.connect, summary.errors.read, summary.errors.write,
                          summary.errors.status, summary.errors.timeout))
end
