-- Tamper-evident audit trail: every row joins a hash chain, one chain per
-- organization plus the platform chain (chain = '') for rows without one.
-- seq numbers a chain from 1; hash is the hex SHA-256 of the row's
-- canonical encoding (core/audit.ChainHash), which covers prev_hash, the
-- hash of the row before it. The application computes hashes; the
-- database only refuses UPDATE, DELETE and TRUNCATE.
--
-- Rows written before this migration get a chain and a seq (in time
-- order) but no hash: verification reports them as legacy rows at the
-- start of their chain, and the first new row of a chain links to them
-- with prev_hash = ''.

ALTER TABLE audit_logs
    ADD COLUMN chain     text   NOT NULL DEFAULT '',
    ADD COLUMN seq       bigint NOT NULL DEFAULT 0,
    ADD COLUMN prev_hash text   NOT NULL DEFAULT '',
    ADD COLUMN hash      text   NOT NULL DEFAULT '';

--bun:split

UPDATE audit_logs AS a
SET chain = n.chain, seq = n.seq
FROM (
    SELECT id,
           COALESCE(organization_id, '') AS chain,
           row_number() OVER (PARTITION BY COALESCE(organization_id, '') ORDER BY created_at, id) AS seq
    FROM audit_logs
) AS n
WHERE a.id = n.id;

--bun:split

CREATE UNIQUE INDEX audit_logs_chain_seq_key ON audit_logs (chain, seq);

--bun:split

CREATE FUNCTION audit_logs_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

--bun:split

CREATE TRIGGER audit_logs_append_only
    BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();

--bun:split

CREATE TRIGGER audit_logs_no_truncate
    BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only();
