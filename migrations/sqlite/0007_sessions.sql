-- Sessions that can be ended, accounts that can be disabled, one-time password resets.
-- Kept in step with migrations/postgres/0007_sessions.sql.
--
-- A sign-in creates a session row. The token the client holds carries the session's
-- secret; only its SHA-256 is stored, so a copy of the database signs nobody in. Every
-- request checks the row: ended (logout, sign out everywhere, a password change, the
-- account disabled), past its absolute expiry, or idle too long, and the token is dead.

ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE users ADD COLUMN disabled_by INTEGER REFERENCES users (id);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    -- logout, logout_all, password_changed, password_reset, disabled
    end_reason   TEXT
);
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE ended_at IS NULL;

CREATE TABLE password_resets (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    token_hash  TEXT    NOT NULL UNIQUE,
    created_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
