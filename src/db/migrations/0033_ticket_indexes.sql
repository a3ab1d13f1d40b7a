-- Two of the tickets table's thirteen indexes repeated another: every
-- ticket written paid for both, and the file carried both.
--
-- tickets_live_created (created_at, id) WHERE archived_at IS NULL copied
-- tickets_created (created_at, id): the full one serves the default list
-- (walked newest first, the few archived rows skipped) and the lists that
-- include archived tickets, which the partial one cannot.
--
-- tickets_status (status, id) is covered by tickets_live_status (status,
-- created_at, id) WHERE archived_at IS NULL for every list and count,
-- which leave archived tickets out; the only other reader, closing
-- resolved tickets after a week, now leaves archived ones alone too.
DROP INDEX tickets_live_created;
DROP INDEX tickets_status;
