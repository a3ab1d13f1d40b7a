-- Three of the tickets table's indexes held an entry for every ticket
-- although most tickets have no value there: a follow-up (a few), a
-- recurring schedule (the generated ones) and a contract (a company with
-- exactly one). A new ticket wrote a page of each all the same: three of
-- the ~36 pages a ticket create writes to the WAL, and at a million
-- tickets ~20 MB of the file. Every query they serve asks for a value
-- (follow_up_user_id = ?, recurring_id = ?, contract_id = ?), which both
-- databases know leaves NULL out, so the indexes keep only the rows with
-- one. NULLs never collided in the unique index either.
DROP INDEX tickets_follow_up;
CREATE INDEX tickets_follow_up ON tickets(follow_up_user_id, follow_up_at, id)
	WHERE follow_up_user_id IS NOT NULL;
DROP INDEX tickets_recurring;
CREATE UNIQUE INDEX tickets_recurring ON tickets(recurring_id, recurring_at)
	WHERE recurring_id IS NOT NULL;
DROP INDEX tickets_contract;
CREATE INDEX tickets_contract ON tickets(contract_id) WHERE contract_id IS NOT NULL;
