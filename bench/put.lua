-- wrk script: PUTs of a 100-byte value to distinct keys of a keyspace: `cache` (local), or the one
-- named after wrk's `--` (bench/peers writes the strong keyspace `accounts` this way).
wrk.method = "PUT"
wrk.body = string.rep("x", 100)
wrk.headers["Content-Type"] = "text/plain"
local keyspace = "cache"
init = function(args)
  keyspace = args[1] or keyspace
end
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/v1/kv/" .. keyspace .. "/bench-" .. (n % 10000))
end
