-- OpenID Provider: clients, authorization requests and codes, refresh-token
-- families, remembered consents and signing keys (sealed private keys).
-- Lists are JSON text; durations are whole seconds.

CREATE TABLE oidc_clients (
    id                        TEXT      PRIMARY KEY NOT NULL,
    client_id                 TEXT      NOT NULL,
    organization_id           TEXT      NOT NULL DEFAULT '',
    name                      TEXT      NOT NULL,
    secret_hash               TEXT      NOT NULL DEFAULT '',
    secret_kind               TEXT      NOT NULL DEFAULT '',
    auth_method               TEXT      NOT NULL,
    redirect_uris             TEXT      NOT NULL DEFAULT '[]',
    post_logout_redirect_uris TEXT      NOT NULL DEFAULT '[]',
    grant_types               TEXT      NOT NULL DEFAULT '[]',
    scopes                    TEXT      NOT NULL DEFAULT '[]',
    access_token_format       TEXT      NOT NULL DEFAULT 'jwt',
    access_token_ttl          BIGINT    NOT NULL,
    refresh_token_ttl         BIGINT    NOT NULL,
    refresh_idle_ttl          BIGINT    NOT NULL,
    id_token_ttl              BIGINT    NOT NULL,
    id_token_alg              TEXT      NOT NULL DEFAULT 'RS256',
    require_pkce              BOOLEAN   NOT NULL DEFAULT TRUE,
    consent_mode              TEXT      NOT NULL DEFAULT 'explicit',
    logo_uri                  TEXT      NOT NULL DEFAULT '',
    client_uri                TEXT      NOT NULL DEFAULT '',
    policy_uri                TEXT      NOT NULL DEFAULT '',
    tos_uri                   TEXT      NOT NULL DEFAULT '',
    backchannel_logout_uri    TEXT      NOT NULL DEFAULT '',
    jwks                      TEXT      NOT NULL DEFAULT '',
    token_exchange            BOOLEAN   NOT NULL DEFAULT FALSE,
    dev_mode                  BOOLEAN   NOT NULL DEFAULT FALSE,
    is_active                 BOOLEAN   NOT NULL DEFAULT TRUE,
    created_at                TIMESTAMP NOT NULL,
    updated_at                TIMESTAMP NOT NULL,
    deleted_at                TIMESTAMP
);

--bun:split

-- client_id stays taken after deletion, so tokens can never change owner.
CREATE UNIQUE INDEX oidc_clients_client_id_key ON oidc_clients (client_id);

--bun:split

CREATE INDEX oidc_clients_org_idx ON oidc_clients (organization_id);

--bun:split

CREATE TABLE oidc_auth_requests (
    id                    TEXT      PRIMARY KEY NOT NULL,
    client_id             TEXT      NOT NULL,
    redirect_uri          TEXT      NOT NULL,
    state                 TEXT      NOT NULL DEFAULT '',
    nonce                 TEXT      NOT NULL DEFAULT '',
    scopes                TEXT      NOT NULL DEFAULT '[]',
    response_type         TEXT      NOT NULL,
    response_mode         TEXT      NOT NULL DEFAULT '',
    code_challenge        TEXT      NOT NULL DEFAULT '',
    prompt                TEXT      NOT NULL DEFAULT '[]',
    max_age               BIGINT,
    login_hint            TEXT      NOT NULL DEFAULT '',
    ui_locales            TEXT      NOT NULL DEFAULT '[]',
    acr_values            TEXT      NOT NULL DEFAULT '[]',
    id_token_hint_subject TEXT      NOT NULL DEFAULT '',
    created_at            TIMESTAMP NOT NULL,
    expires_at            TIMESTAMP NOT NULL,
    subject               TEXT      NOT NULL DEFAULT '',
    session_id            TEXT      NOT NULL DEFAULT '',
    auth_time             TIMESTAMP,
    amr                   TEXT      NOT NULL DEFAULT '[]',
    acr                   TEXT      NOT NULL DEFAULT '',
    done_at               TIMESTAMP,
    code_hash             TEXT,
    code_expires_at       TIMESTAMP,
    code_used_at          TIMESTAMP
);

--bun:split

CREATE UNIQUE INDEX oidc_auth_requests_code_key ON oidc_auth_requests (code_hash);

--bun:split

CREATE INDEX oidc_auth_requests_expires_idx ON oidc_auth_requests (expires_at);

--bun:split

CREATE TABLE oidc_refresh_tokens (
    id              TEXT      PRIMARY KEY NOT NULL,
    family_id       TEXT      NOT NULL,
    parent_id       TEXT      NOT NULL DEFAULT '',
    token_hash      TEXT      NOT NULL,
    client_id       TEXT      NOT NULL,
    subject         TEXT      NOT NULL,
    session_id      TEXT      NOT NULL DEFAULT '',
    scopes          TEXT      NOT NULL DEFAULT '[]',
    amr             TEXT      NOT NULL DEFAULT '[]',
    acr             TEXT      NOT NULL DEFAULT '',
    auth_time       TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    idle_expires_at TIMESTAMP NOT NULL,
    rotated_at      TIMESTAMP,
    revoked_at      TIMESTAMP,
    revoked_reason  TEXT      NOT NULL DEFAULT ''
);

--bun:split

CREATE UNIQUE INDEX oidc_refresh_tokens_hash_key ON oidc_refresh_tokens (token_hash);

--bun:split

CREATE INDEX oidc_refresh_tokens_family_idx ON oidc_refresh_tokens (family_id);

--bun:split

CREATE INDEX oidc_refresh_tokens_subject_idx ON oidc_refresh_tokens (subject, client_id);

--bun:split

CREATE TABLE oidc_consents (
    user_id    TEXT      NOT NULL,
    client_id  TEXT      NOT NULL,
    scopes     TEXT      NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

--bun:split

CREATE TABLE oidc_signing_keys (
    id              TEXT      PRIMARY KEY NOT NULL,
    alg             TEXT      NOT NULL,
    state           TEXT      NOT NULL,
    private_key_enc BLOB      NOT NULL,
    seal_key_id     TEXT      NOT NULL,
    public_jwk      TEXT      NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    activate_at     TIMESTAMP NOT NULL,
    retired_at      TIMESTAMP,
    updated_at      TIMESTAMP NOT NULL
);

--bun:split

-- One active key per algorithm: two nodes starting at once cannot both
-- create one (the loser gets a unique violation and reloads).
CREATE UNIQUE INDEX oidc_signing_keys_active_key ON oidc_signing_keys (alg) WHERE state = 'active';
