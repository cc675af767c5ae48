-- no-transaction
-- Read-only operators and providers who leave. Kept in step with
-- migrations/postgres/0012_operators.sql.
--
-- A `viewer` account sees the admin's console and cannot act. SQLite cannot change a
-- CHECK constraint in place, so `users` is rebuilt the way SQLite's documentation says
-- (a new table, the rows copied, the old one dropped, the new one renamed), with
-- foreign keys off meanwhile: they can only be switched outside a transaction, hence
-- this file runs outside the migrator's and opens its own. The other tables' references
-- name `users` and find the new table under that name.
--
-- A provider an admin deactivated (`deactivated_at`) is offered no work, cannot be
-- assigned by hand, and gave back what they held and had not started.

PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY,
    -- Stored lower-cased; the UNIQUE constraint is what makes sign-up race-free.
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('customer', 'provider', 'admin', 'viewer')),
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER,
    disabled_by   INTEGER REFERENCES users (id)
);
INSERT INTO users_new (id, email, name, password_hash, role, created_at, disabled_at, disabled_by)
SELECT id, email, name, password_hash, role, created_at, disabled_at, disabled_by FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

ALTER TABLE providers ADD COLUMN deactivated_at INTEGER;

COMMIT;
PRAGMA foreign_keys = ON;
