DROP TRIGGER IF EXISTS audit_logs_no_delete;

--bun:split

DROP TRIGGER IF EXISTS audit_logs_no_update;

--bun:split

DROP INDEX IF EXISTS audit_logs_chain_seq_key;

--bun:split

ALTER TABLE audit_logs DROP COLUMN hash;

--bun:split

ALTER TABLE audit_logs DROP COLUMN prev_hash;

--bun:split

ALTER TABLE audit_logs DROP COLUMN seq;

--bun:split

ALTER TABLE audit_logs DROP COLUMN chain;
