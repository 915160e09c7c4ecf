-- Durable queue of back-channel logout deliveries (OIDC Back-Channel
-- Logout 1.0), retried with backoff.

CREATE TABLE oidc_backchannel_logouts (
    id              TEXT      PRIMARY KEY NOT NULL,
    client_id       TEXT      NOT NULL,
    uri             TEXT      NOT NULL,
    subject         TEXT      NOT NULL,
    session_id      TEXT      NOT NULL DEFAULT '',
    status          TEXT      NOT NULL,
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT      NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP
);

--bun:split

CREATE INDEX oidc_backchannel_logouts_due_idx ON oidc_backchannel_logouts (status, next_attempt_at);

--bun:split

CREATE INDEX oidc_refresh_tokens_session_idx ON oidc_refresh_tokens (session_id);

--bun:split

CREATE INDEX oidc_auth_requests_session_idx ON oidc_auth_requests (session_id);
