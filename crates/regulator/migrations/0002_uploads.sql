-- Every upload a provider's isp_upload delivered: its dataSequence (strictly increasing per
-- provider) and the transfer fields, kept opaque for isp_querypreviousupload.
CREATE TABLE uploads (
    id          INTEGER PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES providers (id),
    sequence    INTEGER NOT NULL,
    file_name   TEXT NOT NULL,
    transfer    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (provider_id, sequence)
);
