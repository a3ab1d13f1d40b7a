-- Each full-text index's vocabulary (an fts5vocab table over it), from which
-- a search spells out the words its last word, a prefix as it is being
-- typed, stands for: FTS5 then reads each word's matches newest first and
-- stops when the page is full, where a prefix term would first merge the
-- lists of all its words (SQLite only; PostgreSQL has nothing to add).
-- Indexes made from now on come with theirs (-- @fts).
-- @sqlite
CREATE VIRTUAL TABLE IF NOT EXISTS companies_fts_terms USING fts5vocab(companies_fts, instance);
CREATE VIRTUAL TABLE IF NOT EXISTS contacts_fts_terms USING fts5vocab(contacts_fts, instance);
CREATE VIRTUAL TABLE IF NOT EXISTS sites_fts_terms USING fts5vocab(sites_fts, instance);
CREATE VIRTUAL TABLE IF NOT EXISTS assets_fts_terms USING fts5vocab(assets_fts, instance);
CREATE VIRTUAL TABLE IF NOT EXISTS tickets_fts_terms USING fts5vocab(tickets_fts, instance);
CREATE VIRTUAL TABLE IF NOT EXISTS products_fts_terms USING fts5vocab(products_fts, instance);
CREATE VIRTUAL TABLE IF NOT EXISTS opportunities_fts_terms USING fts5vocab(opportunities_fts, instance);
CREATE VIRTUAL TABLE IF NOT EXISTS quotes_fts_terms USING fts5vocab(quotes_fts, instance);
CREATE VIRTUAL TABLE IF NOT EXISTS kb_articles_fts_terms USING fts5vocab(kb_articles_fts, instance);
