-- The simulated national ICP registry and the bureaus' work queues.
-- Instants are RFC 3339 UTC text; JSON columns hold serde_json documents.

CREATE TABLE providers (
    id           INTEGER PRIMARY KEY,          -- ispId
    name         TEXT NOT NULL,
    province     TEXT NOT NULL,                -- GB/T 2260 code of the provider's bureau
    username     TEXT NOT NULL UNIQUE,
    password     TEXT NOT NULL,                -- interface password: the simulator must hash it with randVal
    aes_key      TEXT NOT NULL,
    aes_iv       TEXT NOT NULL
);

CREATE TABLE sponsors (
    id                  INTEGER PRIMARY KEY,
    province            TEXT NOT NULL,
    nature              TEXT NOT NULL,
    certificate_type    TEXT NOT NULL,
    certificate_number  TEXT NOT NULL,
    name                TEXT NOT NULL,
    address             TEXT NOT NULL DEFAULT '',
    responsible_name    TEXT NOT NULL,
    responsible_mobile  TEXT NOT NULL,
    responsible_email   TEXT NOT NULL DEFAULT '',
    number              TEXT NOT NULL UNIQUE,  -- 浙ICP备2026000123号
    password_salt       BLOB NOT NULL,
    password_hash       BLOB NOT NULL,
    next_website_serial INTEGER NOT NULL DEFAULT 1,
    status              TEXT NOT NULL DEFAULT 'filed' CHECK (status IN ('filed', 'cancelled')),
    filed_at            TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX sponsors_certificate ON sponsors (certificate_number);

-- Sponsor names, trigram-indexed so that a Chinese substring of three characters or more is
-- found without scanning the table.
CREATE VIRTUAL TABLE sponsor_names USING fts5 (
    name, content = 'sponsors', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER sponsors_names_insert AFTER INSERT ON sponsors BEGIN
    INSERT INTO sponsor_names (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER sponsors_names_delete AFTER DELETE ON sponsors BEGIN
    INSERT INTO sponsor_names (sponsor_names, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER sponsors_names_update AFTER UPDATE OF name ON sponsors BEGIN
    INSERT INTO sponsor_names (sponsor_names, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO sponsor_names (rowid, name) VALUES (new.id, new.name);
END;

CREATE TABLE websites (
    id                             INTEGER PRIMARY KEY,
    sponsor_id                     INTEGER NOT NULL REFERENCES sponsors (id),
    name                           TEXT NOT NULL,
    domain                         TEXT NOT NULL,
    home_url                       TEXT NOT NULL,
    service_content                TEXT NOT NULL DEFAULT '',
    responsible_name               TEXT NOT NULL,
    responsible_certificate_type   TEXT NOT NULL DEFAULT '',
    responsible_certificate_number TEXT NOT NULL DEFAULT '',
    responsible_mobile             TEXT NOT NULL,
    number                         TEXT NOT NULL UNIQUE,  -- 浙ICP备2026000123号-1
    status                         TEXT NOT NULL DEFAULT 'filed' CHECK (status IN ('filed', 'cancelled')),
    filed_at                       TEXT NOT NULL,
    updated_at                     TEXT NOT NULL
);
CREATE UNIQUE INDEX websites_filed_domain ON websites (domain) WHERE status = 'filed';
CREATE INDEX websites_domain ON websites (domain);
CREATE INDEX websites_sponsor ON websites (sponsor_id);

CREATE TABLE accesses (
    id          INTEGER PRIMARY KEY,
    website_id  INTEGER NOT NULL REFERENCES websites (id),
    provider_id INTEGER NOT NULL REFERENCES providers (id),
    ips         TEXT NOT NULL DEFAULT '[]',
    method      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    UNIQUE (website_id, provider_id)
);
CREATE INDEX accesses_provider ON accesses (provider_id);

-- Last serial issued per bureau abbreviation and year (sponsor numbers are year + 6 digits).
CREATE TABLE number_counters (
    abbreviation TEXT NOT NULL,
    year         INTEGER NOT NULL,
    last_serial  INTEGER NOT NULL,
    PRIMARY KEY (abbreviation, year)
);

CREATE TABLE blacklist (
    id     INTEGER PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('sponsor', 'domain')),
    value  TEXT NOT NULL,                     -- certificate number, or domain
    reason TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, value)
);

-- Every filing a provider uploads, from receipt to decision.
CREATE TABLE submissions (
    id           INTEGER PRIMARY KEY,
    provider_id  INTEGER NOT NULL REFERENCES providers (id),
    kind         TEXT NOT NULL,
    province     TEXT NOT NULL,
    upload_ref   TEXT NOT NULL DEFAULT '',    -- the provider's file name / record id, echoed in results
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('sms_pending', 'queued', 'approved', 'refused', 'returned')),
    received_at  TEXT NOT NULL,
    sms_deadline TEXT,
    due_at       TEXT,
    decided_at   TEXT,
    codes        TEXT NOT NULL DEFAULT '[]',
    reasons      TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX submissions_state_due ON submissions (state, due_at);

-- Results waiting for a provider's isp_download; re-sent until acknowledged.
CREATE TABLE downloads (
    id            INTEGER PRIMARY KEY,
    provider_id   INTEGER NOT NULL REFERENCES providers (id),
    submission_id INTEGER REFERENCES submissions (id),
    file_name     TEXT NOT NULL UNIQUE,
    payload       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    sent_count    INTEGER NOT NULL DEFAULT 0,
    acked_at      TEXT
);
CREATE INDEX downloads_pending ON downloads (provider_id, acked_at, id);

-- Codes texted by the ministry: SMS verification of a filing, or password recovery.
CREATE TABLE sms_codes (
    id            INTEGER PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('filing', 'password_recovery')),
    submission_id INTEGER REFERENCES submissions (id),
    sponsor_id    INTEGER REFERENCES sponsors (id),
    mobile        TEXT NOT NULL,
    code          TEXT NOT NULL,
    send_at       TEXT NOT NULL,
    sent_at       TEXT,
    expires_at    TEXT NOT NULL,
    verified_at   TEXT,
    wrong_tries   INTEGER NOT NULL DEFAULT 0,
    closed        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sms_codes_mobile ON sms_codes (mobile, closed);
CREATE INDEX sms_codes_due ON sms_codes (sent_at, send_at);

CREATE TABLE phone_inbox (
    id      INTEGER PRIMARY KEY,
    mobile  TEXT NOT NULL,
    text    TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX phone_inbox_mobile ON phone_inbox (mobile, id);

-- Wrong filing passwords per sponsor and Asia/Shanghai day.
CREATE TABLE password_failures (
    sponsor_id INTEGER NOT NULL REFERENCES sponsors (id),
    day        TEXT NOT NULL,
    failures   INTEGER NOT NULL,
    PRIMARY KEY (sponsor_id, day)
);

-- Append-only history of everything the registry did.
CREATE TABLE history (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    event   TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER history_no_update BEFORE UPDATE ON history BEGIN
    SELECT RAISE (ABORT, 'history is append-only');
END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history BEGIN
    SELECT RAISE (ABORT, 'history is append-only');
END;
