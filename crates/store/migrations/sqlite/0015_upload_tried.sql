-- Issue 16 (6), an order abandoned after it was numbered for the bureau: when a worker first
-- began sending the upload (Unix ms), set before the bureau is called. An upload never begun
-- (NULL) cannot have reached the bureau, so it may still be withdrawn and its number given
-- back; once begun, it must be sent (dataSequence is gap-free).
ALTER TABLE bureau_uploads ADD COLUMN tried_at BIGINT;
