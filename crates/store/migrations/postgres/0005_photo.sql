-- Photo verification (拍照核验, DESIGN.md §5 and §8).
--
-- backdrop_requests: an applicant asks for the provider's backdrop (幕布) by post. The
-- recipient, mobile and address are personal data: sealed together in contact_ct (AES-GCM,
-- the sealed-payload domain); only the province code stays in clear, for the posting list.
-- status: requested 已申请, shipped 已寄出 (with its tracking number).
CREATE TABLE backdrop_requests (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL REFERENCES orders (id),
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    province        TEXT NOT NULL,
    contact_ct      BYTEA NOT NULL,
    status          TEXT NOT NULL,
    tracking_number TEXT,
    requested_by    TEXT NOT NULL,
    requested_at    BIGINT NOT NULL,
    shipped_by      TEXT,
    shipped_at      BIGINT,
    CONSTRAINT backdrop_requests_status_check CHECK (status IN ('requested', 'shipped'))
);
CREATE INDEX backdrop_requests_order_idx ON backdrop_requests (order_id);
CREATE INDEX backdrop_requests_status_idx ON backdrop_requests (status, requested_at);
-- At most one open (not shipped) request per order.
CREATE UNIQUE INDEX backdrop_requests_open_key ON backdrop_requests (order_id)
    WHERE status = 'requested';

-- photo_checks: one row per photo submitted for an order (a backdrop photo upload, or a
-- Shanghai bureau app code). The raw photo lives in the object store under object_key until
-- the decision; then the object is deleted and object_key cleared (object_deleted_at set once
-- the object is really gone). What stays: the digest, the decision, the reason and who
-- decided. method: backdrop_photo, shanghai_app. decision: approved, rejected (NULL = pending).
CREATE TABLE photo_checks (
    id                TEXT PRIMARY KEY,
    order_id          TEXT NOT NULL REFERENCES orders (id),
    method            TEXT NOT NULL,
    object_key        TEXT,
    content_type      TEXT,
    size              BIGINT,
    sha256            TEXT,
    app_code          TEXT,
    submitted_by      TEXT NOT NULL,
    submitted_at      BIGINT NOT NULL,
    decision          TEXT,
    reason_code       TEXT,
    reason_text       TEXT,
    decided_by        TEXT,
    decided_at        BIGINT,
    object_deleted_at BIGINT,
    CONSTRAINT photo_checks_method_check CHECK (method IN ('backdrop_photo', 'shanghai_app')),
    CONSTRAINT photo_checks_decision_check CHECK (decision IN ('approved', 'rejected'))
);
CREATE INDEX photo_checks_order_idx ON photo_checks (order_id, submitted_at);
