-- wrk workload of npm run bench (bench/README.md).
-- Usage: wrk -s bench/workload.lua URL -- DATA_FILE [MODE]
--   DATA_FILE: one line per user,
--         "<jwt> <task id>,<task id>,... [<list id>,... [<shared list id>,...]]" (the user's
--         own tasks and lists, then other users' lists the user is a member of; no lists for
--         a build from before lists, no shared lists for one from before sharing)
--   MODE: "mix" (default): a random user each request, 50 % GET /api/tasks?limit=20,
--         6 % GET /api/tasks?limit=20&list_id={one of the user's lists},
--         14 % GET /api/tasks?limit=20&list_id={one of the lists shared with the user},
--         15 % POST /api/tasks into one of the user's lists, 10 % PATCH
--         /api/tasks/{id}/complete, 5 % GET /api/tasks/{id}; when the data file has no
--         shared lists, the 14 % read one of the user's own lists instead (20 % in all, the
--         mix before sharing); when it has no lists, the mix before lists: 70 %
--         GET /api/tasks?limit=20, POST without a list;
--         "mix-without-sharing": the mix before sharing whatever the data file holds;
--         "mix-without-lists": the mix before lists whatever the data file holds;
--         "list": GET /api/tasks?limit=20 only.
-- Non-2xx responses are counted per status in response() and summed over the threads in
-- done(), which prints one line "BENCH_RESULT {json}" with the latency percentiles.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local users = {}
local mode = "mix"
local create_fields = '"title":"Benchmark task","priority":"low"'

function init(args)
  local path = args[1]
  if path == nil then
    error("workload.lua needs the data file: wrk ... -- DATA_FILE [MODE]")
  end
  mode = args[2] or "mix"
  for line in io.lines(path) do
    local token, task_ids, list_ids, shared_ids = line:match("^(%S+)%s+(%S+)%s*(%S*)%s*(%S*)$")
    if token then
      local tasks = {}
      for id in task_ids:gmatch("%d+") do
        tasks[#tasks + 1] = id
      end
      local lists = {}
      local shared = {}
      if mode == "mix" or mode == "mix-without-sharing" then
        for id in list_ids:gmatch("%d+") do
          lists[#lists + 1] = id
        end
      end
      if mode == "mix" and #lists > 0 then
        for id in shared_ids:gmatch("%d+") do
          shared[#shared + 1] = id
        end
      end
      users[#users + 1] = { auth = "Bearer " .. token, ids = tasks, lists = lists, shared = shared }
    end
  end
  if #users == 0 then
    error("no users in " .. path)
  end
  -- Each thread has its own Lua state: seed each differently.
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
  statuses = {}
end

function request()
  local user = users[math.random(#users)]
  local roll = mode == "list" and 1 or math.random(100)
  local list = #user.lists > 0 and user.lists[math.random(#user.lists)] or nil
  if roll <= 70 then
    if list and roll > 50 then
      -- 57..70: a list shared with the user; without one, an own list like 51..56.
      if roll > 56 and #user.shared > 0 then
        list = user.shared[math.random(#user.shared)]
      end
      return wrk.format("GET", "/api/tasks?limit=20&list_id=" .. list, { Authorization = user.auth })
    end
    return wrk.format("GET", "/api/tasks?limit=20", { Authorization = user.auth })
  elseif roll <= 85 then
    local body = list and ("{" .. create_fields .. ',"list_id":' .. list .. "}")
      or ("{" .. create_fields .. "}")
    return wrk.format("POST", "/api/tasks", {
      Authorization = user.auth,
      ["Content-Type"] = "application/json",
    }, body)
  end
  local id = user.ids[math.random(#user.ids)]
  if roll <= 95 then
    return wrk.format("PATCH", "/api/tasks/" .. id .. "/complete", { Authorization = user.auth })
  end
  return wrk.format("GET", "/api/tasks/" .. id, { Authorization = user.auth })
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    if s then
      for status, n in pairs(s) do
        counts[status] = (counts[status] or 0) + n
      end
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    parts[#parts + 1] = string.format('"%d":%d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},'
      .. '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},'
      .. '"non_2xx":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9),
    e.connect, e.read, e.write, e.timeout,
    table.concat(parts, ",")))
end
