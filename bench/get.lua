-- wrk script: GETs of keys written by put.lua.
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/kv/cache/bench-" .. (n % 10000))
end
