-- The texts of the simulated phone inbox under the simulator's key (issue 16): they carry
-- verification codes, filing passwords and names. phone_inbox.text is sealed like the
-- values of 0006 (hex of AES-256-GCM nonce ‖ ciphertext, field "regulator/text") and opened
-- on the way out (the /sim/phone-inbox page and JSON show it as sent).
--
-- SQL cannot encrypt: the texts of a registry written before this migration are sealed by
-- the simulator when it next opens it (db::seal_existing), flagged here.
ALTER TABLE registry_sealing ADD COLUMN texts_sealed INTEGER NOT NULL DEFAULT 0;
