-- High-volume OpenID Provider events (token issue and refresh,
-- introspection, userinfo, JWKS, authorization request/response), kept
-- apart from the hash-chained audit log (SEED-SPEC 10.6: the previous
-- system's oidc_audit_logs). Append-only; written in batches.

CREATE TABLE oidc_events (
    id              TEXT      PRIMARY KEY NOT NULL,
    occurred_at     TIMESTAMP NOT NULL,
    event_type      TEXT      NOT NULL,
    client_id       TEXT      NOT NULL DEFAULT '',
    user_id         TEXT      NOT NULL DEFAULT '',
    organization_id TEXT      NOT NULL DEFAULT '',
    success         BOOLEAN   NOT NULL,
    error_code      TEXT      NOT NULL DEFAULT '',
    ip_address      TEXT      NOT NULL DEFAULT '',
    user_agent      TEXT      NOT NULL DEFAULT '',
    request_id      TEXT      NOT NULL DEFAULT '',
    metadata        TEXT      NOT NULL DEFAULT '{}'
);

--bun:split

CREATE INDEX oidc_events_client_idx ON oidc_events (client_id, occurred_at);

--bun:split

CREATE INDEX oidc_events_org_idx ON oidc_events (organization_id, occurred_at);

--bun:split

CREATE INDEX oidc_events_user_idx ON oidc_events (user_id, occurred_at);
