-- Dispatch: a visit (appointment) records when the technician arrived and
-- left (check-in, check-out) and the time entry the check-out made; a user
-- has a default work type for that time.
ALTER TABLE appointments ADD COLUMN checked_in_at TEXT;
ALTER TABLE appointments ADD COLUMN checked_out_at TEXT;
ALTER TABLE appointments ADD COLUMN time_entry_id BIGINT REFERENCES time_entries(id);
ALTER TABLE users ADD COLUMN default_work_type_id BIGINT REFERENCES work_types(id);
