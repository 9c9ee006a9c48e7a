-- The soak's mixed load for wrk (issue 30): bench/soak.py prepares everything (signed-in
-- cookies, CSRF tokens, ids, the mix) in a Lua data file, starts wrk with this script and
-- reads back the lines below. Debian's wrk 4.1 on LuaJIT; no wrk2, so the pacing is ours.
--
-- One connection per wrk thread: every thread has its own Lua state, so "the request in
-- flight" is known exactly, a response is paired with its kind, per-kind latency and the
-- filing's second step (the form's tokens, then the post) need no guessing.
--
-- Pacing: thread k of n starts a task every n × (requests per task) / rate seconds, at
-- fixed slots (start + phase + i × interval) kept by delay(): a slow answer does not move
-- the later slots (they start at once until the thread has caught up); a slot more than
-- max_lag seconds behind is skipped and counted, as soak.py's Python client skips past its
-- backlog. No new task once the slots reach the end; a thread stops itself when idle then.
--
-- What goes back: every thread writes its own lines to SOAK_WRK_OUT.<thread> as it goes
-- (wrk 4.1's thread:get corrupts a Lua stack when it copies a table, so no tables cross
-- states), tab-separated:
--   Q kind started new-task late   a request sent (new-task 1: a slot's first request;
--                                   late 1: sent more than 1 s after its slot)
--   A kind status ms answered-at   its answer (status 0: none, the connection failed)
--   F token / X token              a filing stored (302) / refused
--   E what                         a failure to explain (counted by soak.py)
--   K                              a slot skipped, this far behind
-- A Q without its A at the end of a file was in flight when wrk stopped. done() writes
-- wrk's own totals (requests, socket errors, latency percentiles) as JSON to SOAK_WRK_OUT.
-- Environment: SOAK_WRK_DATA (the data file soak.py writes), SOAK_WRK_OUT.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_usec; } soak_timeval;
int gettimeofday(soak_timeval *tv, void *tz);
]]
local timeval = ffi.new("soak_timeval")

-- Wall clock in seconds: soak.py's kill time and its 503 window are wall clock too.
local function now()
  ffi.C.gettimeofday(timeval, nil)
  return tonumber(timeval.tv_sec) + tonumber(timeval.tv_usec) / 1e6
end

-- ---------------------------------------------------------------- main state: setup/done
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
  -- wrk builds thread 1's first request once to check it and never sends it.
  thread:set("verifying", #threads == 1)
end

-- ---------------------------------------------------------------- thread state
local D                      -- the data file
local kinds = {}             -- weighted list of task kinds
local interval, next_slot, stop_at
local current = nil          -- the request in flight: {kind, started, ...}
local pending = nil          -- a follow-up to send at once (the filing's post, a retry)
local ticket_ids, codes

local log                    -- this thread's lines (see the top)

local function record(kind, status, started, t)
  log:write(string.format("A\t%s\t%d\t%.3f\t%.3f\n", kind, status, (t - started) * 1000, t))
end

local function fail(what)
  log:write("E\t", what, "\n")
end

local function pick(list)
  return list[math.random(#list)]
end

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function header(headers, name)
  for k, v in pairs(headers) do
    if k:lower() == name then return v end
  end
end

-- The value of a hidden form field, found as soak.py's Python client finds it.
local function field(body, name)
  local at = body:find('name="' .. name .. '"', 1, true)
  if not at then return nil end
  local value = body:find('value="', at, true)
  if not value then return nil end
  value = value + 7
  local close = body:find('"', value, true)
  return close and body:sub(value, close - 1) or nil
end

local function get(path, session)
  local headers = {}
  if session.cookie ~= "" then headers["Cookie"] = session.cookie end
  return wrk.format("GET", path, headers)
end

local function post(path, session, body)
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  if session.cookie ~= "" then headers["Cookie"] = session.cookie end
  return wrk.format("POST", path, headers, body)
end

local function session(role)
  return pick(D.sessions[role])
end

local tasks = {}

function tasks.track()
  local code = #codes > 0 and pick(codes) or "0000000000000000"
  return {kind = "track", raw = get("/t/" .. code, session("anonymous"))}
end

function tasks.file()
  local s = session(pick(D.filers))
  return {kind = "file_form", raw = get("/", s), session = s}
end

function tasks.my()
  return {kind = "my", raw = get("/my", session(pick(D.filers)))}
end

function tasks.queue()
  return {kind = "queue", raw = get("/work", session("grid1"))}
end

function tasks.ticket()
  if #ticket_ids == 0 then return tasks.queue() end
  local s = session(pick({"grid1", "community1"}))
  return {kind = "ticket", raw = get("/work/tickets/" .. pick(ticket_ids), s)}
end

function tasks.act()
  if #ticket_ids == 0 then return tasks.queue() end
  local s = session("grid1")
  local action = pick(D.actions)
  local body = action.body .. (action.body ~= "" and "&" or "") .. "csrf_token=" .. encode(s.csrf)
  -- 409 (someone else changed it) and 4xx (not in this state) are normal answers here.
  return {kind = "act", raw = post("/work/tickets/" .. pick(ticket_ids) .. "/" .. action.name, s, body)}
end

function tasks.dashboard()
  if #D.dashboards == 0 then return tasks.track() end
  local d = pick(D.dashboards)
  return {kind = "dashboard", raw = get(d.path, session(d.role))}
end

local function file_post(s, token, csrf, attempt)
  local body = "csrf_token=" .. encode(csrf) .. "&submit_token=" .. encode(token) .. "&"
    .. pick(D.filing_bodies)
  return {kind = "file_post", raw = post("/", s, body), session = s, token = token, csrf = csrf,
          attempt = attempt, body = body}
end

-- A post that failed: a resident who sees an error presses again, the same form, 3 times.
local function again(r)
  if r.attempt < 3 then
    pending = {kind = "file_post", raw = r.raw, session = r.session, token = r.token,
               csrf = r.csrf, attempt = r.attempt + 1}
  else
    log:write("X\t", r.token, "\n")
  end
end

function init(args)
  D = dofile(os.getenv("SOAK_WRK_DATA"))
  math.randomseed(D.seed + id)
  for _, pair in ipairs(D.mix) do
    for _ = 1, pair[2] do kinds[#kinds + 1] = pair[1] end
  end
  ticket_ids, codes = {}, {}
  for i, v in ipairs(D.ticket_ids) do ticket_ids[i] = v end
  for i, v in ipairs(D.codes) do codes[i] = v end
  interval = D.connections * D.requests_per_task / D.rate
  next_slot = D.start + (id - 1) / D.connections * interval
  stop_at = D.start + D.seconds
  log = assert(io.open(os.getenv("SOAK_WRK_OUT") .. "." .. id, "w"))
end

function delay()
  if pending then return 0 end
  if next_slot >= stop_at then
    if current == nil then
      log:flush()
      wrk.thread:stop()
    end
    return 1000
  end
  local t = now()
  while t - next_slot > D.max_lag do  -- this far behind: skip, say so, do not pile up
    next_slot = next_slot + interval
    log:write("K\n")
  end
  local wait = next_slot - t
  return wait > 0 and math.floor(wait * 1000) or 0
end

function request()
  if verifying then
    verifying = false
    return wrk.format("GET", "/login")
  end
  local t = now()
  if current ~= nil then
    -- No response to the last request: wrk reconnected (a read or write error) and asks
    -- for the next one. Counted as soak.py counts "no answer" (status 0), never hidden.
    record(current.kind, 0, current.started, t)
    fail(current.kind .. ": no answer (connection error)")
    if current.kind == "file_post" then again(current) end
    current = nil
  end
  local r, new_task, late
  if pending then
    r, pending, new_task, late = pending, nil, 0, 0
  else
    new_task, late = 1, t - next_slot > 1 and 1 or 0
    next_slot = next_slot + interval
    r = tasks[pick(kinds)]()
  end
  r.started = t
  current = r
  log:write(string.format("Q\t%s\t%.3f\t%d\t%d\n", r.kind, t, new_task, late))
  return r.raw
end

function response(status, headers, body)
  local r = current
  if r == nil then return end  -- thread 1's checked request, never sent
  current = nil
  record(r.kind, status, r.started, now())
  if r.kind == "file_form" then
    if status ~= 200 then return end
    local token, csrf = field(body, "submit_token"), field(body, "csrf_token")
    if not token or not csrf then
      fail("file_form: no submit_token or csrf_token field in the page (" .. status .. ")")
      return
    end
    pending = file_post(r.session, token, csrf, 1)
  elseif r.kind == "file_post" then
    if status == 302 then
      log:write("F\t", r.token, "\n")
      local code = (header(headers, "location") or ""):match("/t/([^/?#]+)")
      if code then codes[#codes + 1] = code end
    elseif status >= 500 then
      again(r)
    else
      log:write("X\t", r.token, "\n")
    end
  elseif r.kind == "queue" and status == 200 then
    local ids = {}
    for id_ in body:gmatch("/work/tickets/(%d+)") do ids[#ids + 1] = tonumber(id_) end
    if #ids > 0 then ticket_ids = ids end
  end
end

-- ---------------------------------------------------------------- back in the main state
function done(summary, latency, requests)
  local e = summary.errors
  local f = assert(io.open(os.getenv("SOAK_WRK_OUT"), "w"))
  f:write(string.format(
    '{"duration_s": %.3f, "requests": %d, "bytes": %d, "threads": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_ms": {"p50": %.1f, "p95": %.1f, "p99": %.1f, "max": %.1f}}\n',
    summary.duration / 1e6, summary.requests, summary.bytes, #threads,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  f:close()
end
