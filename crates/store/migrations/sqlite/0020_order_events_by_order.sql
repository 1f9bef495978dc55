-- An order's timeline entries stored together (issue 14, round 5). `order_events` was a rowid
-- table in insertion order, so an order's entries lay scattered over as many pages as it has
-- entries, and the order view (its newest 100) read each from its own page. Clustered on
-- (order_id, version), they are one short range of a few pages, found without a second index,
-- and an entry's insert touches three b-trees instead of four. PostgreSQL keeps its table
-- (../postgres/0001_initial.sql): its planner reads the entries through the same unique index.
CREATE TABLE order_events_by_order (
    order_id   TEXT NOT NULL REFERENCES orders (id),
    version    INTEGER NOT NULL,
    id         TEXT NOT NULL UNIQUE,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    event      TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '{}',
    CONSTRAINT order_events_version_key PRIMARY KEY (order_id, version)
) WITHOUT ROWID;

INSERT INTO order_events_by_order
    (order_id, version, id, at, actor, event, from_state, to_state, note)
SELECT order_id, version, id, at, actor, event, from_state, to_state, note FROM order_events;

DROP TABLE order_events;
ALTER TABLE order_events_by_order RENAME TO order_events;
CREATE INDEX order_events_at_idx ON order_events (at);
