-- PostgreSQL: a GIN index takes new entries into a "pending list" first
-- and merges them into its tree when the list outgrows
-- gin_pending_list_limit (4 MB by default); until then every search reads
-- the whole list. Any update that moves a ticket to a new row version (an
-- SLA sweep moving 50,000 clocks) adds the row's words to it again: at a
-- million tickets a full list (~470 pages) made a rare word's search cost
-- ~3 ms where it costs 0.1 ms with the list empty, and a list of 52 pages
-- still cut its rate by more than half. 64 kB (the least PostgreSQL takes,
-- at most 8 pages) bounds what a search reads; the merges come more
-- often and smaller, and the 1M sweep was no slower for it (9.8-9.9 s
-- against 10.2-10.8 s). New search indexes are made so (migrate.c).
-- SQLite's FTS5 has nothing alike: nothing to do there.
-- @postgres
ALTER INDEX companies_search SET (gin_pending_list_limit = 64);
ALTER INDEX contacts_search SET (gin_pending_list_limit = 64);
ALTER INDEX sites_search SET (gin_pending_list_limit = 64);
ALTER INDEX assets_search SET (gin_pending_list_limit = 64);
ALTER INDEX tickets_search SET (gin_pending_list_limit = 64);
ALTER INDEX products_search SET (gin_pending_list_limit = 64);
ALTER INDEX opportunities_search SET (gin_pending_list_limit = 64);
ALTER INDEX quotes_search SET (gin_pending_list_limit = 64);
ALTER INDEX kb_articles_search SET (gin_pending_list_limit = 64);
