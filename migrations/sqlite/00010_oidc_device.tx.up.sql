-- Device authorization grants (RFC 8628). Only hashes of the device code
-- and of the normalised user code are stored. Durations are whole seconds.

CREATE TABLE oidc_device_grants (
    id               TEXT      PRIMARY KEY NOT NULL,
    client_id        TEXT      NOT NULL,
    device_code_hash TEXT      NOT NULL,
    user_code_hash   TEXT      NOT NULL,
    scopes           TEXT      NOT NULL DEFAULT '[]',
    status           TEXT      NOT NULL,
    poll_interval    BIGINT    NOT NULL,
    last_polled_at   TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    subject          TEXT      NOT NULL DEFAULT '',
    session_id       TEXT      NOT NULL DEFAULT '',
    amr              TEXT      NOT NULL DEFAULT '[]',
    acr              TEXT      NOT NULL DEFAULT '',
    auth_time        TIMESTAMP
);

--bun:split

CREATE UNIQUE INDEX oidc_device_grants_device_code_key ON oidc_device_grants (device_code_hash);

--bun:split

CREATE UNIQUE INDEX oidc_device_grants_user_code_key ON oidc_device_grants (user_code_hash);

--bun:split

CREATE INDEX oidc_device_grants_expires_idx ON oidc_device_grants (expires_at);
