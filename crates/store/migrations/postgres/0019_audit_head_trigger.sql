-- The audit chain head follows each appended record (issue 14; keep in step with
-- ../sqlite/0019_audit_head_trigger.sql): appending is the head's `FOR UPDATE` read and one
-- insert, instead of a third statement moving the head (crates/store/src/audit.rs). Row
-- triggers of a multi-row insert fire in the rows' order, so the head ends on the last one.
CREATE FUNCTION audit_log_moves_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_moves_head();
