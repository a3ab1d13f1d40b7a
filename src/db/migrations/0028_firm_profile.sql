-- The firm's own line at the foot of every page of its quotes and invoices
-- (registration number, tax id, bank details).
ALTER TABLE settings ADD COLUMN document_footer TEXT;
