-- 先备案后接入: what the edge gate reads.
-- gate_domains: the registrable domains that have an active access record here, one row each;
-- written in the same transaction as the access record (a projection of accesses ⋈ websites,
-- narrow so that a gate loads it fast and needs read rights on nothing with personal data).
-- access_changes: append-only log of every change to gate_domains (active 1: now served,
-- 0: no longer); a gate loads gate_domains once, then follows this log by id. Writers take a
-- transaction-scoped advisory lock before appending, so ids become visible in id order and a
-- follower reading `id > last` never skips one; they also NOTIFY beian_access_changes.
CREATE TABLE gate_domains (
    domain     TEXT COLLATE "C" PRIMARY KEY,
    access_id  TEXT NOT NULL
);

CREATE TABLE access_changes (
    id         BIGSERIAL PRIMARY KEY,
    access_id  TEXT NOT NULL,
    domain     TEXT NOT NULL,
    active     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT access_changes_active_check CHECK (active IN (0, 1))
);

INSERT INTO gate_domains (domain, access_id)
SELECT lower(w.domain), a.id FROM accesses a JOIN websites w ON w.id = a.website_id
WHERE a.status = 'active'
ON CONFLICT (domain) DO NOTHING;
