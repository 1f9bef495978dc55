-- Envelope keys (issue 16; keep in step with ../sqlite/0017_data_key.sql, only the type
-- names differ). The data-encryption key (DEK) that seals fields and objects and keys the
-- blind index is kept here, wrapped (AES-256-GCM) under the operator's key (the KEK: config,
-- BEIAN_DATA_KEY or data.key). Rotating the operator's key re-wraps this one row; nothing
-- is re-encrypted. One row (id = 1); see crates/store/src/data_keys.rs.
-- origin: generated (a fresh random DEK, for a store created with this migration) or master
-- (a store from before it: its data is sealed under keys derived from the operator's key
-- itself, so that key's material is adopted as the DEK and wrapped, at the next open).
-- A row with wrapped NULL is such a store waiting for its first open.
CREATE TABLE data_key (
    id         INTEGER PRIMARY KEY,
    dek_id     TEXT,
    kek_id     TEXT,
    wrapped    BYTEA,
    origin     TEXT NOT NULL,
    wrapped_at BIGINT,
    CONSTRAINT data_key_single CHECK (id = 1),
    CONSTRAINT data_key_origin_check CHECK (origin IN ('generated', 'master'))
);
INSERT INTO data_key (id, origin)
SELECT 1, 'master'
WHERE EXISTS (SELECT 1 FROM audit_log)
   OR EXISTS (SELECT 1 FROM accounts)
   OR EXISTS (SELECT 1 FROM sponsors)
   OR EXISTS (SELECT 1 FROM outbox)
   OR EXISTS (SELECT 1 FROM idempotency_keys)
   OR EXISTS (SELECT 1 FROM materials)
   OR EXISTS (SELECT 1 FROM photo_checks)
   OR EXISTS (SELECT 1 FROM bureau_secrets)
   OR EXISTS (SELECT 1 FROM cancel_access_codes)
   OR EXISTS (SELECT 1 FROM legacy_accounts);
