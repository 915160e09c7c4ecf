-- Initial access tokens for dynamic client registration (RFC 7591), made
-- by organization admins; only the SHA-256 of a token is stored.

CREATE TABLE oidc_registration_tokens (
    id              text      PRIMARY KEY,
    organization_id text      NOT NULL,
    token_hash      text      NOT NULL,
    created_by      text      NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    max_uses        integer   NOT NULL,
    uses            integer   NOT NULL DEFAULT 0
);

--bun:split

CREATE UNIQUE INDEX oidc_registration_tokens_hash_key ON oidc_registration_tokens (token_hash);
