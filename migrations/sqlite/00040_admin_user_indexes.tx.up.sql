-- Platform administration's user list: filtered by status and ordered by
-- (email, id); the deleted users apart; the overview counts per status.

CREATE INDEX users_status_email_idx ON users (status, email, id) WHERE deleted_at IS NULL;

--bun:split

CREATE INDEX users_email_id_idx ON users (email, id);

--bun:split

CREATE INDEX users_deleted_email_idx ON users (email, id) WHERE deleted_at IS NOT NULL;
