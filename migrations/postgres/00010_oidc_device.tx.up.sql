-- Device authorization grants (RFC 8628). Only hashes of the device code
-- and of the normalised user code are stored. Durations are whole seconds.

CREATE TABLE oidc_device_grants (
    id               text      PRIMARY KEY,
    client_id        text      NOT NULL,
    device_code_hash text      NOT NULL,
    user_code_hash   text      NOT NULL,
    scopes           text      NOT NULL DEFAULT '[]',
    status           text      NOT NULL,
    poll_interval    bigint    NOT NULL,
    last_polled_at   timestamptz,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    subject          text      NOT NULL DEFAULT '',
    session_id       text      NOT NULL DEFAULT '',
    amr              text      NOT NULL DEFAULT '[]',
    acr              text      NOT NULL DEFAULT '',
    auth_time        timestamptz
);

--bun:split

CREATE UNIQUE INDEX oidc_device_grants_device_code_key ON oidc_device_grants (device_code_hash);

--bun:split

CREATE UNIQUE INDEX oidc_device_grants_user_code_key ON oidc_device_grants (user_code_hash);

--bun:split

CREATE INDEX oidc_device_grants_expires_idx ON oidc_device_grants (expires_at);
