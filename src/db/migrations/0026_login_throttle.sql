-- Sign-in throttling without lock-out: login_failures becomes a counter per
-- account, address or known device with an exponential delay. count is the
-- attempts since the last success, window_start now the last attempt (a quiet
-- counter is forgotten), delay_seconds the last delay given and
-- blocked_until the Unix second before which the next attempt is refused.
ALTER TABLE login_failures ADD COLUMN delay_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE login_failures ADD COLUMN blocked_until BIGINT NOT NULL DEFAULT 0;
DELETE FROM login_failures;
