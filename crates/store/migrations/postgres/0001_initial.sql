-- beian schema, PostgreSQL flavour. Keep in step with ../sqlite/0001_initial.sql:
-- same tables, columns, constraint names; only the type names differ
-- (BIGINT/BYTEA here, INTEGER/BLOB there). Ids are UUID strings, instants unix milliseconds.

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    email         TEXT NOT NULL,
    mobile_ct     BYTEA,
    mobile_bidx   BYTEA,
    role          TEXT NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    CONSTRAINT accounts_username_key UNIQUE (username),
    CONSTRAINT accounts_role_check CHECK (role IN ('applicant', 'reviewer', 'admin', 'bureau_officer'))
);

CREATE TABLE sessions (
    id_hash    BYTEA PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account_idx ON sessions (account_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key_hash     BYTEA NOT NULL,
    name         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);

CREATE TABLE sponsors (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT REFERENCES accounts (id),
    province            TEXT NOT NULL,
    nature              TEXT NOT NULL,
    certificate_type    TEXT NOT NULL,
    certificate_ct      BYTEA NOT NULL,
    certificate_bidx    BYTEA NOT NULL,
    name                TEXT NOT NULL,
    address             TEXT NOT NULL,
    responsible_name    TEXT NOT NULL,
    responsible_cert_type TEXT NOT NULL,
    responsible_cert_ct   BYTEA NOT NULL,
    responsible_cert_bidx BYTEA NOT NULL,
    responsible_mobile_ct   BYTEA NOT NULL,
    responsible_mobile_bidx BYTEA NOT NULL,
    responsible_email   TEXT NOT NULL,
    icp_number          TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CONSTRAINT sponsors_account_key UNIQUE (account_id),
    CONSTRAINT sponsors_certificate_key UNIQUE (certificate_type, certificate_bidx)
);
CREATE INDEX sponsors_responsible_mobile_idx ON sponsors (responsible_mobile_bidx);

CREATE TABLE websites (
    id                  TEXT PRIMARY KEY,
    sponsor_id          TEXT NOT NULL REFERENCES sponsors (id),
    name                TEXT NOT NULL,
    domain              TEXT NOT NULL,
    home_url            TEXT NOT NULL,
    service_content     TEXT NOT NULL,
    details             TEXT NOT NULL,
    responsible_name    TEXT NOT NULL,
    responsible_cert_type TEXT NOT NULL,
    responsible_cert_ct   BYTEA NOT NULL,
    responsible_cert_bidx BYTEA NOT NULL,
    responsible_mobile_ct   BYTEA NOT NULL,
    responsible_mobile_bidx BYTEA NOT NULL,
    responsible_email   TEXT NOT NULL,
    icp_number          TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CONSTRAINT websites_domain_key UNIQUE (domain)
);
CREATE INDEX websites_sponsor_idx ON websites (sponsor_id);

CREATE TABLE orders (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    sponsor_id     TEXT REFERENCES sponsors (id),
    website_id     TEXT REFERENCES websites (id),
    kind           TEXT NOT NULL,
    state          TEXT NOT NULL,
    province       TEXT NOT NULL,
    version        BIGINT NOT NULL,
    deadlines      TEXT NOT NULL DEFAULT '{}',
    return_reasons TEXT NOT NULL DEFAULT '[]',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX orders_account_idx ON orders (account_id);
CREATE INDEX orders_sponsor_idx ON orders (sponsor_id);
CREATE INDEX orders_state_idx ON orders (state);

CREATE TABLE order_events (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL REFERENCES orders (id),
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    event      TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    version    BIGINT NOT NULL,
    note       TEXT NOT NULL DEFAULT '{}',
    CONSTRAINT order_events_version_key UNIQUE (order_id, version)
);

CREATE TABLE materials (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders (id),
    kind         TEXT NOT NULL,
    object_key   TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    deleted_at   BIGINT,
    CONSTRAINT materials_object_key_key UNIQUE (object_key)
);
CREATE INDEX materials_order_idx ON materials (order_id);

CREATE TABLE product_instances (
    id         TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts (id),
    product    TEXT NOT NULL,
    public_ip  TEXT,
    term_start BIGINT NOT NULL,
    term_end   BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- status: unbound 未绑定, bound 已绑定, filing 备案中, filed 已备案, expired 已失效
CREATE TABLE service_numbers (
    number      TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES product_instances (id),
    status      TEXT NOT NULL,
    order_id    TEXT REFERENCES orders (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT service_numbers_status_check CHECK (status IN ('unbound', 'bound', 'filing', 'filed', 'expired'))
);
CREATE INDEX service_numbers_instance_idx ON service_numbers (instance_id);

-- channel: bureau_upload, mail, sms. The payload is sealed (it may hold a mobile number).
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY,
    channel    TEXT NOT NULL,
    payload_ct BYTEA NOT NULL,
    status     TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT,
    CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'sent', 'failed'))
);
CREATE INDEX outbox_pending_idx ON outbox (status, created_at);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    due_at       BIGINT NOT NULL,
    lease_owner  TEXT,
    lease_until  BIGINT,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CONSTRAINT jobs_status_check CHECK (status IN ('pending', 'running', 'done', 'dead'))
);
CREATE INDEX jobs_due_idx ON jobs (status, due_at);
CREATE INDEX jobs_lease_idx ON jobs (status, lease_until);

CREATE TABLE idempotency_keys (
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key             TEXT NOT NULL,
    request_hash    BYTEA NOT NULL,
    response_status BIGINT NOT NULL,
    response_body   BYTEA NOT NULL,
    created_at      BIGINT NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (account_id, key)
);

CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    before_summary TEXT,
    after_summary  TEXT,
    prev_hash BYTEA NOT NULL,
    hash      BYTEA NOT NULL
);

-- The single chain-head row; appends lock it (FOR UPDATE on PostgreSQL) so writers cannot fork.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    CONSTRAINT audit_head_single CHECK (id = 1)
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
