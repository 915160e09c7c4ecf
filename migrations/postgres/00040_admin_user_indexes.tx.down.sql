DROP INDEX IF EXISTS users_deleted_email_idx;

--bun:split

DROP INDEX IF EXISTS users_email_id_idx;

--bun:split

DROP INDEX IF EXISTS users_status_email_idx;
