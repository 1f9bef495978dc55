-- Submission to the bureau and results sync (MIIT interface V3.0).
-- bureau_sequence: the last dataSequence allocated (one row, 'upload'); allocated in the same
--   transaction that records the upload, so numbers are never skipped or reused.
-- bureau_uploads: each upload file, sealed (it carries personal data), kept 3 months
--   (keep_until) then purged; status pending (not yet accepted) or sent (accepted).
-- bureau_downloads: every downloaded file, by its name: applying the same file twice is a
--   no-op; items not acted on (acted = 0) are listed for the admins.
-- alerts: what the admins must see (e.g. a missed submission deadline), once per dedupe_key.
CREATE TABLE bureau_sequence (
    id            TEXT PRIMARY KEY,
    last_sequence INTEGER NOT NULL
);
INSERT INTO bureau_sequence (id, last_sequence) VALUES ('upload', 0);

CREATE TABLE bureau_uploads (
    id          TEXT PRIMARY KEY,
    sequence    INTEGER NOT NULL,
    file_name   TEXT NOT NULL,
    job_key     TEXT NOT NULL,
    order_id    TEXT REFERENCES orders (id),
    access_id   TEXT REFERENCES accesses (id),
    operation   INTEGER NOT NULL,
    subject     TEXT NOT NULL,
    xml_ct      BLOB NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    keep_until  INTEGER NOT NULL,
    CONSTRAINT bureau_uploads_sequence_key UNIQUE (sequence),
    CONSTRAINT bureau_uploads_job_key_key UNIQUE (job_key),
    CONSTRAINT bureau_uploads_status_check CHECK (status IN ('pending', 'sent'))
);
CREATE INDEX bureau_uploads_status_idx ON bureau_uploads (status, sequence);
CREATE INDEX bureau_uploads_order_idx ON bureau_uploads (order_id);
CREATE INDEX bureau_uploads_subject_idx ON bureau_uploads (operation, subject);

CREATE TABLE bureau_downloads (
    file_name   TEXT PRIMARY KEY,
    category    TEXT NOT NULL,
    acted       INTEGER NOT NULL,
    applied_to  TEXT,
    summary     TEXT NOT NULL,
    payload_ct  BLOB NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX bureau_downloads_acted_idx ON bureau_downloads (acted, received_at);

-- bureau_secrets: the ICPmm (hash of a filing password) an access or cancel upload needs,
--   sealed, put by the step that checked the password, deleted once the upload is accepted.
CREATE TABLE bureau_secrets (
    key        TEXT PRIMARY KEY,
    secret_ct  BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- registry_ids: the registry's own ids (Ztid, Wzid, Jrid) of our sponsors, websites and
--   accesses (record = sponsor:<id>, website:<id>, access:<id>), learnt from the registry data
--   (BASJ) that comes with an approval; changes and cancellations must name them.
CREATE TABLE registry_ids (
    record      TEXT PRIMARY KEY,
    registry_id INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL,
    details     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER,
    CONSTRAINT alerts_dedupe_key_key UNIQUE (dedupe_key)
);
CREATE INDEX alerts_open_idx ON alerts (resolved_at, created_at);

-- At most one pending results poll.
CREATE UNIQUE INDEX jobs_one_pending_poll ON jobs (kind)
    WHERE kind = 'bureau.poll' AND status = 'pending';
