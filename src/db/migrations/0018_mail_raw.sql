-- Every inbound message is kept as it came (in the attachment store, by
-- content hash), so a held message's files reach the ticket it is
-- assigned to, and staff can read the original (GET .../raw).
ALTER TABLE inbound_messages ADD COLUMN raw_sha256 TEXT;
