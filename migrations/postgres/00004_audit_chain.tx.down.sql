DROP TRIGGER IF EXISTS audit_logs_no_truncate ON audit_logs;

--bun:split

DROP TRIGGER IF EXISTS audit_logs_append_only ON audit_logs;

--bun:split

DROP FUNCTION IF EXISTS audit_logs_append_only();

--bun:split

DROP INDEX IF EXISTS audit_logs_chain_seq_key;

--bun:split

ALTER TABLE audit_logs
    DROP COLUMN IF EXISTS hash,
    DROP COLUMN IF EXISTS prev_hash,
    DROP COLUMN IF EXISTS seq,
    DROP COLUMN IF EXISTS chain;
