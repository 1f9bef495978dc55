-- The audit chain head follows each appended record (issue 14; keep in step with
-- ../postgres/0019_audit_head_trigger.sql). Appending a transaction's records is then one
-- statement instead of three (read the head, insert, move the head): on SQLite the store
-- knows the head it committed last and inserts only if `audit_head` still names it
-- (crates/store/src/audit.rs). Rows of a multi-row insert fire in order, so the head ends
-- on the last one.
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
END;
