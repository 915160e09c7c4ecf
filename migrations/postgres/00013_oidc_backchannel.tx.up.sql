-- Durable queue of back-channel logout deliveries (OIDC Back-Channel
-- Logout 1.0), retried with backoff.

CREATE TABLE oidc_backchannel_logouts (
    id              text      PRIMARY KEY,
    client_id       text      NOT NULL,
    uri             text      NOT NULL,
    subject         text      NOT NULL,
    session_id      text      NOT NULL DEFAULT '',
    status          text      NOT NULL,
    attempts        integer   NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text      NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz
);

--bun:split

CREATE INDEX oidc_backchannel_logouts_due_idx ON oidc_backchannel_logouts (status, next_attempt_at);

--bun:split

CREATE INDEX oidc_refresh_tokens_session_idx ON oidc_refresh_tokens (session_id);

--bun:split

CREATE INDEX oidc_auth_requests_session_idx ON oidc_auth_requests (session_id);
