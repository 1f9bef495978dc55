-- Personal data under the simulator's own key (issue 16; crates/regulator/src/crypto.rs).
-- Sealed (hex of AES-256-GCM nonce ‖ ciphertext): sponsors.certificate_number and
-- responsible_mobile; websites' and apps' responsible_certificate_number and
-- responsible_mobile; submissions.payload (the filing as received); uploads.transfer (the
-- upload's transfer fields); sms_codes.mobile and phone_inbox.mobile. Found by blind index
-- (hex HMAC of the normalised value) where they were found by the plain value:
-- sponsors.certificate_index, sms_codes.mobile_index, phone_inbox.mobile_index,
-- submissions.payload_digest, and a blacklisted sponsor's blacklist.value. An empty optional
-- value stays empty.
--
-- SQL cannot encrypt: a registry written before this migration is sealed by the simulator
-- when it next opens it (db::seal_existing, flagged by registry_sealing), in one transaction,
-- followed by VACUUM so that no page keeps the plain text.

ALTER TABLE sponsors ADD COLUMN certificate_index TEXT NOT NULL DEFAULT '';
DROP INDEX sponsors_certificate;
CREATE INDEX sponsors_certificate_index ON sponsors (certificate_index);

ALTER TABLE submissions ADD COLUMN payload_digest TEXT NOT NULL DEFAULT '';
CREATE INDEX submissions_payload_digest ON submissions (provider_id, payload_digest);

ALTER TABLE sms_codes ADD COLUMN mobile_index TEXT NOT NULL DEFAULT '';
DROP INDEX sms_codes_mobile;
CREATE INDEX sms_codes_mobile_index ON sms_codes (mobile_index, closed);

ALTER TABLE phone_inbox ADD COLUMN mobile_index TEXT NOT NULL DEFAULT '';
DROP INDEX phone_inbox_mobile;
CREATE INDEX phone_inbox_mobile_index ON phone_inbox (mobile_index, id);

-- 0 until the rows written before this migration are sealed (at the next open).
CREATE TABLE registry_sealing (sealed INTEGER NOT NULL);
INSERT INTO registry_sealing (sealed) VALUES (0);
