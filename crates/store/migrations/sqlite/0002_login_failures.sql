-- Failed logins, one row per failure, by the username tried (known or not, so an unknown
-- username is throttled like a known one). The API refuses logins for a username with too many
-- failures in the last hour; being in the database, the count is shared by every instance.
CREATE TABLE login_failures (
    subject TEXT NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX login_failures_subject_idx ON login_failures (subject, at);

-- Idempotency keys of requests without an account (account creation, login) are scoped by the
-- client address as `ip:ADDR`, so `account_id` no longer references accounts. SQLite cannot
-- drop a constraint: the table is rebuilt, with the same columns and constraint name.
CREATE TABLE idempotency_keys_rebuilt (
    account_id      TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_hash    BLOB NOT NULL,
    response_status INTEGER NOT NULL,
    response_body   BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (account_id, key)
);
INSERT INTO idempotency_keys_rebuilt
    SELECT account_id, key, request_hash, response_status, response_body, created_at
    FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_rebuilt RENAME TO idempotency_keys;
