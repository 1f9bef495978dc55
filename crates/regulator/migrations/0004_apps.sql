-- APPs (APP备案, MIIT notice of 2023-08-04) beside websites. An APP's number is the sponsor's
-- with `-NA`, drawn from the same sequence as its websites' `-N` (sponsors.next_website_serial).
-- Its 特征信息 per platform (package or Bundle ID, public key, signature digest) is a JSON list.

CREATE TABLE apps (
    id                             INTEGER PRIMARY KEY,
    sponsor_id                     INTEGER NOT NULL REFERENCES sponsors (id),
    name                           TEXT NOT NULL,
    service_content                TEXT NOT NULL DEFAULT '',
    platforms                      TEXT NOT NULL DEFAULT '[]',
    responsible_name               TEXT NOT NULL,
    responsible_certificate_type   TEXT NOT NULL DEFAULT '',
    responsible_certificate_number TEXT NOT NULL DEFAULT '',
    responsible_mobile             TEXT NOT NULL,
    number                         TEXT NOT NULL UNIQUE,  -- 浙ICP备2026000123号-2A
    status                         TEXT NOT NULL DEFAULT 'filed' CHECK (status IN ('filed', 'cancelled')),
    filed_at                       TEXT NOT NULL,
    updated_at                     TEXT NOT NULL
);
CREATE INDEX apps_sponsor ON apps (sponsor_id);
CREATE INDEX apps_name ON apps (name);

-- A filed package name belongs to one APP at a time.
CREATE TABLE app_packages (
    app_id   INTEGER NOT NULL REFERENCES apps (id),
    platform TEXT NOT NULL,
    package  TEXT NOT NULL,
    PRIMARY KEY (platform, package)
);

CREATE TABLE app_accesses (
    id          INTEGER PRIMARY KEY,
    app_id      INTEGER NOT NULL REFERENCES apps (id),
    provider_id INTEGER NOT NULL REFERENCES providers (id),
    created_at  TEXT NOT NULL,
    UNIQUE (app_id, provider_id)
);
