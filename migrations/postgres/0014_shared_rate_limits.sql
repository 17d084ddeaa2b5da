-- Rate-limit counters every replica shares (login attempts per account and per client
-- address): a fixed window per key, started by its first attempt (Unix seconds).
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    attempts     INTEGER NOT NULL
);
