-- Accounts, password credentials, emailed link tokens and the audit trail.
-- Times are stored as UTC text in Bun's fixed layout, so they compare in
-- time order; booleans are 0/1.

CREATE TABLE users (
    id                TEXT      PRIMARY KEY NOT NULL,
    email             TEXT      NOT NULL,
    email_verified    BOOLEAN   NOT NULL DEFAULT FALSE,
    full_name         TEXT      NOT NULL DEFAULT '',
    avatar_url        TEXT,
    status            TEXT      NOT NULL DEFAULT 'active',
    activated         BOOLEAN   NOT NULL DEFAULT TRUE,
    is_platform_admin BOOLEAN   NOT NULL DEFAULT FALSE,
    last_login_at     TIMESTAMP,
    last_login_ip     TEXT,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    deleted_at        TIMESTAMP
);

--bun:split

-- Emails are stored lower-cased; a deleted account frees its address.
CREATE UNIQUE INDEX users_email_live_key ON users (email) WHERE deleted_at IS NULL;

--bun:split

CREATE TABLE authentication_methods (
    id            TEXT      PRIMARY KEY NOT NULL,
    user_id       TEXT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method_type   TEXT      NOT NULL,
    password_hash TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    deleted_at    TIMESTAMP
);

--bun:split

CREATE INDEX authentication_methods_user_id_idx ON authentication_methods (user_id);

--bun:split

-- At most one live password per user (the upsert's conflict target).
CREATE UNIQUE INDEX authentication_methods_password_key
    ON authentication_methods (user_id, method_type)
    WHERE method_type = 'password' AND deleted_at IS NULL;

--bun:split

CREATE TABLE link_tokens (
    id         TEXT      PRIMARY KEY NOT NULL,
    user_id    TEXT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT      NOT NULL,
    token_hash TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);

--bun:split

CREATE UNIQUE INDEX link_tokens_token_hash_key ON link_tokens (token_hash);

--bun:split

CREATE INDEX link_tokens_user_id_purpose_idx ON link_tokens (user_id, purpose);

--bun:split

-- Append-only. user_id deliberately has no foreign key: entries outlive users.
CREATE TABLE audit_logs (
    id              TEXT      PRIMARY KEY NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    user_id         TEXT,
    action          TEXT      NOT NULL,
    resource_type   TEXT,
    resource_id     TEXT,
    organization_id TEXT,
    ip_address      TEXT,
    user_agent      TEXT,
    request_id      TEXT,
    success         BOOLEAN   NOT NULL DEFAULT TRUE,
    error_message   TEXT,
    description     TEXT,
    extra_data      TEXT
);

--bun:split

CREATE INDEX audit_logs_user_id_created_at_idx ON audit_logs (user_id, created_at);

--bun:split

CREATE INDEX audit_logs_organization_id_created_at_idx ON audit_logs (organization_id, created_at);

--bun:split

CREATE INDEX audit_logs_action_created_at_idx ON audit_logs (action, created_at);

--bun:split

CREATE INDEX audit_logs_resource_idx ON audit_logs (resource_type, resource_id);

--bun:split

-- Unfiltered listings page newest first by (created_at, id).
CREATE INDEX audit_logs_created_at_id_idx ON audit_logs (created_at, id);
