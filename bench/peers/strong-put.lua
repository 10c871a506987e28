-- wrk script: PUTs of a 100-byte value to distinct keys of the lab's strong keyspace `accounts`.
wrk.method = "PUT"
wrk.body = string.rep("x", 100)
wrk.headers["Content-Type"] = "text/plain"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/v1/kv/accounts/bench-" .. (n % 10000))
end
