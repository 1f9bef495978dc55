-- Administration and deadline jobs (sqlite flavour; keep in step with ../postgres/0008_admin.sql).

-- The service-number policy (备案服务号策略), one row: how many live numbers (not expired) an
-- instance may issue, the shortest remaining term (months) an instance needs to back a
-- filing, and the instance states that qualify (JSON array of running/stopped/released).
CREATE TABLE service_number_policy (
    id                 INTEGER PRIMARY KEY,
    per_instance_limit INTEGER NOT NULL,
    min_term_months    INTEGER NOT NULL,
    qualifying_states  TEXT NOT NULL,
    updated_at         INTEGER NOT NULL,
    CONSTRAINT service_number_policy_single CHECK (id = 1)
);
INSERT INTO service_number_policy (id, per_instance_limit, min_term_months, qualifying_states, updated_at)
    VALUES (1, 5, 3, '["running"]', 0);

-- Holiday schedules an admin entered (one State Council notice per year, as the TOML of
-- beian_core::calendar); a year here replaces that year of the builtin calendar.
CREATE TABLE calendar_years (
    year       INTEGER PRIMARY KEY,
    schedule   TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Reminders sent to applicants whose order waits on them: one row per order, waiting period
-- (the instant the wait began) and threshold (7, 15, 30 days), so a sweep that runs twice
-- sends each reminder once.
CREATE TABLE deadline_reminders (
    order_id       TEXT NOT NULL REFERENCES orders (id),
    waiting_since  INTEGER NOT NULL,
    threshold_days INTEGER NOT NULL,
    sent_at        INTEGER NOT NULL,
    CONSTRAINT deadline_reminders_pkey PRIMARY KEY (order_id, waiting_since, threshold_days)
);

-- The dashboard reads the timeline by time; the job views by kind.
CREATE INDEX order_events_at_idx ON order_events (at);
CREATE INDEX jobs_kind_idx ON jobs (kind, status);
CREATE INDEX service_numbers_status_idx ON service_numbers (instance_id, status);
