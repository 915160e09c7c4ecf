-- OpenID Provider: clients, authorization requests and codes, refresh-token
-- families, remembered consents and signing keys (sealed private keys).
-- Lists are JSON text; durations are whole seconds.

CREATE TABLE oidc_clients (
    id                        text      PRIMARY KEY,
    client_id                 text      NOT NULL,
    organization_id           text      NOT NULL DEFAULT '',
    name                      text      NOT NULL,
    secret_hash               text      NOT NULL DEFAULT '',
    secret_kind               text      NOT NULL DEFAULT '',
    auth_method               text      NOT NULL,
    redirect_uris             text      NOT NULL DEFAULT '[]',
    post_logout_redirect_uris text      NOT NULL DEFAULT '[]',
    grant_types               text      NOT NULL DEFAULT '[]',
    scopes                    text      NOT NULL DEFAULT '[]',
    access_token_format       text      NOT NULL DEFAULT 'jwt',
    access_token_ttl          bigint    NOT NULL,
    refresh_token_ttl         bigint    NOT NULL,
    refresh_idle_ttl          bigint    NOT NULL,
    id_token_ttl              bigint    NOT NULL,
    id_token_alg              text      NOT NULL DEFAULT 'RS256',
    require_pkce              boolean   NOT NULL DEFAULT true,
    consent_mode              text      NOT NULL DEFAULT 'explicit',
    logo_uri                  text      NOT NULL DEFAULT '',
    client_uri                text      NOT NULL DEFAULT '',
    policy_uri                text      NOT NULL DEFAULT '',
    tos_uri                   text      NOT NULL DEFAULT '',
    backchannel_logout_uri    text      NOT NULL DEFAULT '',
    jwks                      text      NOT NULL DEFAULT '',
    token_exchange            boolean   NOT NULL DEFAULT false,
    dev_mode                  boolean   NOT NULL DEFAULT false,
    is_active                 boolean   NOT NULL DEFAULT true,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    deleted_at                timestamptz
);

--bun:split

-- client_id stays taken after deletion, so tokens can never change owner.
CREATE UNIQUE INDEX oidc_clients_client_id_key ON oidc_clients (client_id);

--bun:split

CREATE INDEX oidc_clients_org_idx ON oidc_clients (organization_id);

--bun:split

CREATE TABLE oidc_auth_requests (
    id                    text      PRIMARY KEY,
    client_id             text      NOT NULL,
    redirect_uri          text      NOT NULL,
    state                 text      NOT NULL DEFAULT '',
    nonce                 text      NOT NULL DEFAULT '',
    scopes                text      NOT NULL DEFAULT '[]',
    response_type         text      NOT NULL,
    response_mode         text      NOT NULL DEFAULT '',
    code_challenge        text      NOT NULL DEFAULT '',
    prompt                text      NOT NULL DEFAULT '[]',
    max_age               bigint,
    login_hint            text      NOT NULL DEFAULT '',
    ui_locales            text      NOT NULL DEFAULT '[]',
    acr_values            text      NOT NULL DEFAULT '[]',
    id_token_hint_subject text      NOT NULL DEFAULT '',
    created_at            timestamptz NOT NULL,
    expires_at            timestamptz NOT NULL,
    subject               text      NOT NULL DEFAULT '',
    session_id            text      NOT NULL DEFAULT '',
    auth_time             timestamptz,
    amr                   text      NOT NULL DEFAULT '[]',
    acr                   text      NOT NULL DEFAULT '',
    done_at               timestamptz,
    code_hash             TEXT,
    code_expires_at       timestamptz,
    code_used_at          timestamptz
);

--bun:split

CREATE UNIQUE INDEX oidc_auth_requests_code_key ON oidc_auth_requests (code_hash);

--bun:split

CREATE INDEX oidc_auth_requests_expires_idx ON oidc_auth_requests (expires_at);

--bun:split

CREATE TABLE oidc_refresh_tokens (
    id              text      PRIMARY KEY,
    family_id       text      NOT NULL,
    parent_id       text      NOT NULL DEFAULT '',
    token_hash      text      NOT NULL,
    client_id       text      NOT NULL,
    subject         text      NOT NULL,
    session_id      text      NOT NULL DEFAULT '',
    scopes          text      NOT NULL DEFAULT '[]',
    amr             text      NOT NULL DEFAULT '[]',
    acr             text      NOT NULL DEFAULT '',
    auth_time       timestamptz,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    idle_expires_at timestamptz NOT NULL,
    rotated_at      timestamptz,
    revoked_at      timestamptz,
    revoked_reason  text      NOT NULL DEFAULT ''
);

--bun:split

CREATE UNIQUE INDEX oidc_refresh_tokens_hash_key ON oidc_refresh_tokens (token_hash);

--bun:split

CREATE INDEX oidc_refresh_tokens_family_idx ON oidc_refresh_tokens (family_id);

--bun:split

CREATE INDEX oidc_refresh_tokens_subject_idx ON oidc_refresh_tokens (subject, client_id);

--bun:split

CREATE TABLE oidc_consents (
    user_id    text      NOT NULL,
    client_id  text      NOT NULL,
    scopes     text      NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

--bun:split

CREATE TABLE oidc_signing_keys (
    id              text      PRIMARY KEY,
    alg             text      NOT NULL,
    state           text      NOT NULL,
    private_key_enc bytea     NOT NULL,
    seal_key_id     text      NOT NULL,
    public_jwk      text      NOT NULL,
    created_at      timestamptz NOT NULL,
    activate_at     timestamptz NOT NULL,
    retired_at      timestamptz,
    updated_at      timestamptz NOT NULL
);

--bun:split

-- One active key per algorithm: two nodes starting at once cannot both
-- create one (the loser gets a unique violation and reloads).
CREATE UNIQUE INDEX oidc_signing_keys_active_key ON oidc_signing_keys (alg) WHERE state = 'active';
