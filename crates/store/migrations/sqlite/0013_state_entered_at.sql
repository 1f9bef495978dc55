-- Issue 14 (reads that stay flat): the instant an order entered its current state, kept on
-- the order (set by every transition that changes the state), so the review queue reads an
-- index on (state, state_entered_at) instead of working out each order's entry from its
-- timeline; and an index for the applicant's list in keyset order. Unix milliseconds.
ALTER TABLE orders ADD COLUMN state_entered_at INTEGER NOT NULL DEFAULT 0;
UPDATE orders SET state_entered_at = COALESCE(
    (SELECT MAX(e.at) FROM order_events e WHERE e.order_id = orders.id AND e.to_state = orders.state),
    updated_at);
CREATE INDEX orders_state_entered_idx ON orders (state, state_entered_at, id);
CREATE INDEX orders_account_created_idx ON orders (account_id, created_at, id);
