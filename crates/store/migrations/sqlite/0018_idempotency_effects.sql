-- Answers lost in a crash can be rebuilt (issue 16; keep in step with
-- ../postgres/0018_idempotency_effects.sql, only the type names differ). The pending row an
-- idempotent request commits with its effects also records what the commit did: its audit
-- entries' action, subject and `after` value, as JSON sealed like the stored answers. If the
-- process dies before the answer is stored, a retry rebuilds the answer from them and the
-- resource as it now stands (crates/web/src/api/rebuild.rs). NULL for rows from before.
--
-- `claimed_by` names the store instance (one process) whose request committed the key, and
-- `store_instances` holds each running instance's heartbeat on the real clock (Unix ms): a
-- pending key whose instance stopped beating is one whose process died, so its retry need
-- not wait out the stale time. (crates/store/src/idempotency.rs)
ALTER TABLE idempotency_keys ADD COLUMN claimed_by TEXT;
CREATE TABLE store_instances (
    id      TEXT PRIMARY KEY,
    seen_at INTEGER NOT NULL
);
ALTER TABLE idempotency_keys ADD COLUMN effects BLOB;
