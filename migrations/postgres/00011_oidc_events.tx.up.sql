-- High-volume OpenID Provider events (token issue and refresh,
-- introspection, userinfo, JWKS, authorization request/response), kept
-- apart from the hash-chained audit log (SEED-SPEC 10.6: the previous
-- system's oidc_audit_logs). Append-only; written in batches.

CREATE TABLE oidc_events (
    id              text      PRIMARY KEY,
    occurred_at     timestamptz NOT NULL,
    event_type      text      NOT NULL,
    client_id       text      NOT NULL DEFAULT '',
    user_id         text      NOT NULL DEFAULT '',
    organization_id text      NOT NULL DEFAULT '',
    success         boolean   NOT NULL,
    error_code      text      NOT NULL DEFAULT '',
    ip_address      text      NOT NULL DEFAULT '',
    user_agent      text      NOT NULL DEFAULT '',
    request_id      text      NOT NULL DEFAULT '',
    metadata        text      NOT NULL DEFAULT '{}'
);

--bun:split

CREATE INDEX oidc_events_client_idx ON oidc_events (client_id, occurred_at);

--bun:split

CREATE INDEX oidc_events_org_idx ON oidc_events (organization_id, occurred_at);

--bun:split

CREATE INDEX oidc_events_user_idx ON oidc_events (user_id, occurred_at);
