-- The workflow's data (postgres flavour; keep in step with ../sqlite/0003_workflow.sql).
-- order_workflow: what an order gathers before its submission, beside the order row:
-- the product it is verified on, the flow it was submitted under (JSON of
-- beian_core::order::Flow), the password check, the registry's answer at the filing check
-- (sponsor and website numbers, no personal data) and the forms (sealed JSON: they hold
-- certificate and mobile numbers).
CREATE TABLE order_workflow (
    order_id             TEXT PRIMARY KEY REFERENCES orders (id),
    product_line         TEXT,
    flow                 TEXT,
    service_number       TEXT REFERENCES service_numbers (number),
    password_verified_at BIGINT,
    identity_verified_at BIGINT,
    registry             TEXT NOT NULL DEFAULT '{}',
    forms_ct             BYTEA,
    updated_at           BIGINT NOT NULL,
    CONSTRAINT order_workflow_product_line_check CHECK (product_line IN ('server', 'storefront'))
);

-- Whether a product instance runs (a stopped or released instance cannot back a filing).
ALTER TABLE product_instances ADD COLUMN status TEXT NOT NULL DEFAULT 'running';

-- An account's storefront / corporate-site subscription (阿里巴巴旺铺 / 企业官网).
CREATE TABLE storefront_subscriptions (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    status     TEXT NOT NULL,
    term_end   BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT storefront_subscriptions_status_check CHECK (status IN ('active', 'suspended', 'expired'))
);
CREATE INDEX storefront_subscriptions_account_idx ON storefront_subscriptions (account_id);
