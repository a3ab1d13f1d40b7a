-- Quote conversion does what the quote said: a quote names the client's site
-- and the certifications its technicians must hold, and keeps its terms in
-- words as they were when it was written (coverage "Mon–Fri 08:00–17:00",
-- response "within 4 working hours"); a service order carries the work
-- planned on it (the quote's labour) in minutes.
ALTER TABLE quotes ADD COLUMN site_id BIGINT REFERENCES sites(id);
ALTER TABLE quotes ADD COLUMN required_certifications TEXT NOT NULL DEFAULT '[]';
ALTER TABLE quotes ADD COLUMN coverage_text TEXT;
ALTER TABLE quotes ADD COLUMN response_text TEXT;
ALTER TABLE tickets ADD COLUMN planned_minutes BIGINT;
