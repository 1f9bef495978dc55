-- Failed logins, one row per failure, by the username tried (known or not, so an unknown
-- username is throttled like a known one). The API refuses logins for a username with too many
-- failures in the last hour; being in the database, the count is shared by every instance.
CREATE TABLE login_failures (
    subject TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX login_failures_subject_idx ON login_failures (subject, at);

-- Idempotency keys of requests without an account (account creation, login) are scoped by the
-- client address as `ip:ADDR`, so `account_id` no longer references accounts.
ALTER TABLE idempotency_keys DROP CONSTRAINT IF EXISTS idempotency_keys_account_id_fkey;
