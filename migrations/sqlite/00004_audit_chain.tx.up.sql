-- Tamper-evident audit trail: every row joins a hash chain, one chain per
-- organization plus the platform chain (chain = '') for rows without one.
-- seq numbers a chain from 1; hash is the hex SHA-256 of the row's
-- canonical encoding (core/audit.ChainHash), which covers prev_hash, the
-- hash of the row before it. The application computes hashes; the
-- database only refuses UPDATE and DELETE.
--
-- Rows written before this migration get a chain and a seq (in time
-- order) but no hash: verification reports them as legacy rows at the
-- start of their chain, and the first new row of a chain links to them
-- with prev_hash = ''.

ALTER TABLE audit_logs ADD COLUMN chain TEXT NOT NULL DEFAULT '';

--bun:split

ALTER TABLE audit_logs ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;

--bun:split

ALTER TABLE audit_logs ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';

--bun:split

ALTER TABLE audit_logs ADD COLUMN hash TEXT NOT NULL DEFAULT '';

--bun:split

UPDATE audit_logs
SET chain = n.chain, seq = n.seq
FROM (
    SELECT id,
           COALESCE(organization_id, '') AS chain,
           row_number() OVER (PARTITION BY COALESCE(organization_id, '') ORDER BY created_at, id) AS seq
    FROM audit_logs
) AS n
WHERE audit_logs.id = n.id;

--bun:split

CREATE UNIQUE INDEX audit_logs_chain_seq_key ON audit_logs (chain, seq);

--bun:split

CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only: UPDATE is not allowed');
END;

--bun:split

CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only: DELETE is not allowed');
END;
