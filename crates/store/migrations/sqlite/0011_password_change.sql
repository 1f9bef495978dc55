-- Accounts whose password was set for them (one-time passwords of `admin user add` and `demo`,
-- or an admin's new account) must change it at their next login (issue 15).
ALTER TABLE accounts ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
