-- APP filing (APP备案, issue 18): an APP is a service of a sponsor beside its websites (a
-- sponsor may hold both). Its number is the sponsor's with `-NA`, drawn by the bureau from
-- the sequence its websites' `-N` come from. `package` is the package name (or Bundle ID)
-- the filing check identifies the APP by (with its name); `details` holds the 特征信息 of
-- every platform and the icon's material id (JSON, no personal data). The responsible person
-- has the websites' shape: certificate and mobile sealed, with blind indexes.
CREATE TABLE apps (
    id                  TEXT PRIMARY KEY,
    sponsor_id          TEXT NOT NULL REFERENCES sponsors (id),
    name                TEXT NOT NULL,
    package             TEXT NOT NULL,
    service_content     TEXT NOT NULL,
    details             TEXT NOT NULL,
    responsible_name    TEXT NOT NULL,
    responsible_cert_type TEXT NOT NULL,
    responsible_cert_ct   BLOB NOT NULL,
    responsible_cert_bidx BLOB NOT NULL,
    responsible_mobile_ct   BLOB NOT NULL,
    responsible_mobile_bidx BLOB NOT NULL,
    responsible_email   TEXT NOT NULL,
    icp_number          TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX apps_sponsor_idx ON apps (sponsor_id);
CREATE INDEX apps_package_idx ON apps (package);

-- The APP an order files (NULL for a website's order).
ALTER TABLE orders ADD COLUMN app_id TEXT REFERENCES apps (id);
