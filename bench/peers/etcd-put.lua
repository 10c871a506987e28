-- wrk script: etcd v3 puts of a 100-byte value to distinct keys, through etcd's JSON gateway
-- (POST /v3/kv/put, key and value in base64), as bench/put.lua does for Meridian.
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = 4 - (b and 0 or 1) - (c and 0 or 1)
    for j = 1, 4 do
      if j <= chars then
        local k = math.floor(n / 2 ^ (6 * (4 - j))) % 64
        out[#out + 1] = alphabet:sub(k + 1, k + 1)
      else
        out[#out + 1] = "="
      end
    end
  end
  return table.concat(out)
end

local value = base64(string.rep("x", 100))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local body = '{"key": "' .. base64("bench-" .. (n % 10000)) .. '", "value": "' .. value .. '"}'
  return wrk.format(nil, "/v3/kv/put", nil, body)
end
