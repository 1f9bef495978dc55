-- Storefront top-level domains (second seed): a domain bound to an account's storefront
-- (阿里巴巴旺铺 / 企业官网). Bound only once the domain is filed and accessed here (the gate's
-- index says so); one account per domain.
CREATE TABLE storefront_domains (
    domain     TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX storefront_domains_account_idx ON storefront_domains (account_id);
