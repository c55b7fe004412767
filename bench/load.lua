-- One wrk round: requests cycle over browser sessions read from a file, one per line:
-- cookie <TAB> client address <TAB> form body (empty for a GET).
-- Arguments after --: method, path, sessions file, text a right answer holds, most answers.
local sessions, next_session = {}, 0
local method, path, expect, most
local threads = {}
answered, matched = 0, 0  -- globals, so done() can read them from each thread

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  method, path, expect, most = args[1], args[2], args[4], tonumber(args[5])
  for line in io.lines(args[3]) do
    local cookie, ip, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    table.insert(sessions, {cookie = cookie, ip = ip, body = body})
  end
end

function request()
  next_session = next_session % #sessions + 1
  local s = sessions[next_session]
  -- what the site's TLS proxy adds (the app trusts one proxy), and the Referer that
  -- Flask-WTF requires on https
  local headers = {["Cookie"] = s.cookie, ["X-Forwarded-For"] = s.ip,
                   ["X-Forwarded-Proto"] = "https",
                   ["Referer"] = "https://" .. wrk.host .. ":" .. wrk.port .. "/"}
  local body = nil
  if s.body ~= "" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = s.body
  end
  return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
  answered = answered + 1
  if status == 200 and body:find(expect, 1, true) then
    matched = matched + 1
  end
  if answered >= most then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local got, right = 0, 0
  for _, thread in ipairs(threads) do
    got = got + thread:get("answered")
    right = right + thread:get("matched")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"answered": %d, "matched": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, "errors": %d}\n',
    got, right, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.timeout))
end
