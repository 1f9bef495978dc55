-- API keys' life (issue 15): an optional expiry, and when each was last used (updated at most
-- once a minute per key). Unix milliseconds.
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
