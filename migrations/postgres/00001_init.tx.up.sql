-- Accounts, password credentials, emailed link tokens and the audit trail.
-- IDs are text so that any ID scheme the core picks (UUIDs today) fits.

CREATE TABLE users (
    id                text        PRIMARY KEY,
    email             text        NOT NULL,
    email_verified    boolean     NOT NULL DEFAULT false,
    full_name         text        NOT NULL DEFAULT '',
    avatar_url        text,
    status            text        NOT NULL DEFAULT 'active',
    activated         boolean     NOT NULL DEFAULT true,
    is_platform_admin boolean     NOT NULL DEFAULT false,
    last_login_at     timestamptz,
    last_login_ip     text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    deleted_at        timestamptz
);

--bun:split

-- Emails are stored lower-cased; a deleted account frees its address.
CREATE UNIQUE INDEX users_email_live_key ON users (email) WHERE deleted_at IS NULL;

--bun:split

CREATE TABLE authentication_methods (
    id            text        PRIMARY KEY,
    user_id       text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method_type   text        NOT NULL,
    password_hash text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    deleted_at    timestamptz
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
    id         text        PRIMARY KEY,
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL,
    token_hash text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

--bun:split

CREATE UNIQUE INDEX link_tokens_token_hash_key ON link_tokens (token_hash);

--bun:split

CREATE INDEX link_tokens_user_id_purpose_idx ON link_tokens (user_id, purpose);

--bun:split

-- Append-only. user_id deliberately has no foreign key: entries outlive users.
CREATE TABLE audit_logs (
    id              text        PRIMARY KEY,
    created_at      timestamptz NOT NULL,
    user_id         text,
    action          text        NOT NULL,
    resource_type   text,
    resource_id     text,
    organization_id text,
    ip_address      text,
    user_agent      text,
    request_id      text,
    success         boolean     NOT NULL DEFAULT true,
    error_message   text,
    description     text,
    extra_data      text
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
