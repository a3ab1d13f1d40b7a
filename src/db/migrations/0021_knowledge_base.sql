-- The knowledge base: Markdown articles (src/kb/), their earlier versions,
-- and the tickets each one solved.

CREATE TABLE kb_articles (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	visibility TEXT NOT NULL DEFAULT 'internal',
	tags TEXT NOT NULL DEFAULT '[]',
	revision BIGINT NOT NULL DEFAULT 1,
	author_id BIGINT REFERENCES users(id),
	edited_by_id BIGINT REFERENCES users(id),
	edited_at TEXT,
	ticket_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX kb_articles_live_title ON kb_articles(title, id) WHERE archived_at IS NULL;
CREATE INDEX kb_articles_visibility ON kb_articles(visibility, created_at, id);
-- @fts kb_articles title,body,tags

-- each row is a version an edit replaced: what it was, who wrote it when, who replaced it when
CREATE TABLE kb_article_revisions (
	id @ID_PK@,
	article_id BIGINT NOT NULL REFERENCES kb_articles(id),
	revision BIGINT NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	visibility TEXT NOT NULL,
	tags TEXT NOT NULL,
	edited_by_id BIGINT REFERENCES users(id),
	edited_at TEXT,
	replaced_by_id BIGINT REFERENCES users(id),
	replaced_at TEXT NOT NULL
);
CREATE INDEX kb_article_revisions_article ON kb_article_revisions(article_id, id);

CREATE TABLE kb_links (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	ticket_id BIGINT NOT NULL REFERENCES tickets(id),
	article_id BIGINT NOT NULL REFERENCES kb_articles(id),
	linked_by_id BIGINT REFERENCES users(id)
);
CREATE UNIQUE INDEX kb_links_live ON kb_links(ticket_id, article_id) WHERE archived_at IS NULL;
CREATE INDEX kb_links_article ON kb_links(article_id, id);
