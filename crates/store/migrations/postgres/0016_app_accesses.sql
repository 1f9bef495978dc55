-- An APP's access with this provider (APP备案, issue 18; keep in step with
-- ../sqlite/0016_app_accesses.sql, only the type names differ). A table of its own beside
-- `accesses` (whose rows are websites' and which the edge gate projects): an APP has no
-- domain, so nothing here ever reaches `gate_domains` or `access_changes`, and no query on
-- `accesses` changes. Made when the bureau approves an APP's 首次备案, 新增APP, 新增接入 or
-- 继续接入; 取消接入 moves it active → cancelling → cancelled; 注销APP cancels it.
-- status: active 已接入, cancelling 取消接入中 (sent to the bureau), cancelled 已取消.
CREATE TABLE app_accesses (
    id             TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (id),
    sponsor_id     TEXT NOT NULL REFERENCES sponsors (id),
    order_id       TEXT REFERENCES orders (id),
    service_number TEXT REFERENCES service_numbers (number),
    status         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CONSTRAINT app_accesses_status_check CHECK (status IN ('active', 'cancelling', 'cancelled'))
);
CREATE INDEX app_accesses_sponsor_idx ON app_accesses (sponsor_id);
CREATE INDEX app_accesses_app_idx ON app_accesses (app_id);

-- The APPs filed or accessed here before this table: their approved order is their access.
INSERT INTO app_accesses (id, app_id, sponsor_id, order_id, service_number, status,
                          created_at, updated_at)
SELECT 'app-access-' || o.id, o.app_id, a.sponsor_id, o.id, w.service_number, 'active',
       o.updated_at, o.updated_at
FROM orders o
JOIN apps a ON a.id = o.app_id
LEFT JOIN order_workflow w ON w.order_id = o.id
WHERE a.icp_number IS NOT NULL
  AND o.state IN ('approved', 'completed')
  AND o.kind IN ('first_filing', 'new_website', 'new_website_elsewhere_sponsor', 'new_access',
                 'continue_access');

-- 取消接入 codes of an APP: as `cancel_access_codes` (a website's), for the APP's responsible
-- person and its access.
CREATE TABLE app_cancel_access_codes (
    id            TEXT PRIMARY KEY,
    app_id        TEXT NOT NULL REFERENCES apps (id),
    access_id     TEXT NOT NULL REFERENCES app_accesses (id),
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    code_hash     BYTEA NOT NULL,
    attempts_left BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT,
    retired_at    BIGINT
);
CREATE INDEX app_cancel_access_codes_app_idx ON app_cancel_access_codes (app_id, created_at);

-- The APP access an upload cancels (取消接入 of an APP, the extension's QXJR).
ALTER TABLE bureau_uploads ADD COLUMN app_access_id TEXT REFERENCES app_accesses (id);
