/// Lua shared by every script that moves messages, so that each one checks
/// what it will touch before its first write: Redis does not roll back a
/// script that fails midway, and a half-done move strands messages.
extension QueueScripts {
    /// `expect(key, kind)` raises, before any write, when `key` holds
    /// another Redis type than `kind` (a missing key is fine).
    /// `setting(config, field, default)` reads a queue setting, raising
    /// when it is not a whole number 0 or above. `is_hash(key)` says
    /// whether an envelope can be read and written as one.
    ///
    /// The errors are `WRONGTYPE key K is a T, expected a E` and
    /// `BADSETTING key K field F is 'V', not a whole number 0 or above`,
    /// which `Broker.explain` turns into `MQError`s (exit 65).
    static let checks = """
        local function type_name(t) if t == 'zset' then return 'sorted set' end return t end
        local function expect(key, kind)
          local t = redis.call('TYPE', key).ok
          if t ~= 'none' and t ~= kind then
            error({err = 'WRONGTYPE key ' .. key .. ' is a ' .. type_name(t) .. ', expected a ' .. type_name(kind)})
          end
        end
        local function expect_all(first, last, kind)
          for i = first, last do expect(KEYS[i], kind) end
        end
        local function setting(config, field, default)
          local v = redis.call('HGET', config, field)
          if not v then return default end
          if not string.match(v, '^%d+$') or #v > 15 then
            error({err = 'BADSETTING key ' .. config .. ' field ' .. field .. " is '" .. v .. "', not a whole number 0 or above"})
          end
          return tonumber(v)
        end
        local function is_hash(key) return redis.call('TYPE', key).ok == 'hash' end
        """
}
