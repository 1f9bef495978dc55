-- 取消接入 codes and the legacy (万网) platform's accounts. Keep in step with
-- ../sqlite/0007_sponsor.sql (only the type names differ).

-- A one-time code texted to a website's responsible person to confirm 取消接入. Only a keyed
-- hash of the code is kept (HMAC with the data key's index key, so six digits cannot be
-- brute-forced from a database dump). Single use (used_at), valid until expires_at, at most
-- attempts_left wrong tries; a new code for the website retires the earlier ones (retired_at).
CREATE TABLE cancel_access_codes (
    id            TEXT PRIMARY KEY,
    website_id    TEXT NOT NULL REFERENCES websites (id),
    access_id     TEXT NOT NULL REFERENCES accesses (id),
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    code_hash     BYTEA NOT NULL,
    attempts_left BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT,
    retired_at    BIGINT
);
CREATE INDEX cancel_access_codes_website_idx ON cancel_access_codes (website_id, created_at);

-- The legacy platform's accounts, loaded from its export (docs/legacy-export.md) by
-- `beian import wanwang FILE`. record_ct is the whole export record, sealed (it holds
-- certificate and mobile numbers); password_hash is the legacy platform's hash (a PHC string).
-- record_digest (SHA-256 of the record line) lets a re-run tell "already loaded" from "another
-- record under the same username". imported_* are set once, by the one import into an account.
CREATE TABLE legacy_accounts (
    username            TEXT PRIMARY KEY,
    password_hash       TEXT NOT NULL,
    record_ct           BYTEA NOT NULL,
    record_digest       TEXT NOT NULL,
    loaded_at           BIGINT NOT NULL,
    imported_account_id TEXT REFERENCES accounts (id),
    imported_sponsor_id TEXT REFERENCES sponsors (id),
    imported_at         BIGINT
);
