-- Read-only operators and providers who leave. Kept in step with
-- migrations/sqlite/0012_operators.sql.
--
-- A `viewer` account sees the admin's console and cannot act. A provider an admin
-- deactivated (`deactivated_at`) is offered no work, cannot be assigned by hand, and
-- gave back what they held and had not started.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('customer', 'provider', 'admin', 'viewer'));

ALTER TABLE providers ADD COLUMN deactivated_at TIMESTAMPTZ;
