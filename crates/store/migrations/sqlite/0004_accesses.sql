-- Access records (接入信息): a website filed (or accessed) through this provider. Made when the
-- bureau approves an order, or by a legacy import; cancelled by 取消接入. The registry keeps
-- the number; this row says the site is hosted here.
-- status: active 已接入, cancelling 取消接入中 (sent to the bureau), cancelled 已取消.
CREATE TABLE accesses (
    id             TEXT PRIMARY KEY,
    website_id     TEXT NOT NULL REFERENCES websites (id),
    sponsor_id     TEXT NOT NULL REFERENCES sponsors (id),
    order_id       TEXT REFERENCES orders (id),
    service_number TEXT REFERENCES service_numbers (number),
    status         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CONSTRAINT accesses_status_check CHECK (status IN ('active', 'cancelling', 'cancelled'))
);
CREATE INDEX accesses_sponsor_idx ON accesses (sponsor_id);
CREATE INDEX accesses_website_idx ON accesses (website_id);
