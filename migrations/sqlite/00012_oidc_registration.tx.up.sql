-- Initial access tokens for dynamic client registration (RFC 7591), made
-- by organization admins; only the SHA-256 of a token is stored.

CREATE TABLE oidc_registration_tokens (
    id              TEXT      PRIMARY KEY NOT NULL,
    organization_id TEXT      NOT NULL,
    token_hash      TEXT      NOT NULL,
    created_by      TEXT      NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    max_uses        INTEGER   NOT NULL,
    uses            INTEGER   NOT NULL DEFAULT 0
);

--bun:split

CREATE UNIQUE INDEX oidc_registration_tokens_hash_key ON oidc_registration_tokens (token_hash);
