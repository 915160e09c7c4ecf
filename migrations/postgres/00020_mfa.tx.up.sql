-- Second factors (TOTP with backup codes, passkeys), organization MFA
-- policies, per-user overrides, compliance records and job leases.

-- One TOTP method per user; the secret is sealed (AES-256-GCM under a key
-- derived from ENCRYPTION_KEY). last_step is the last accepted time step:
-- codes of that step or earlier are refused (replay protection).
CREATE TABLE mfa_totp (
    user_id       text        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed bytea       NOT NULL,
    seal_key_id   text        NOT NULL,
    verified_at   timestamptz,
    last_step     bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

--bun:split

-- Backup codes are stored as keyed hashes only.
CREATE TABLE mfa_backup_codes (
    id         text        PRIMARY KEY,
    user_id    text        NOT NULL REFERENCES mfa_totp (user_id) ON DELETE CASCADE,
    code_hash  text        NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL
);

--bun:split

CREATE UNIQUE INDEX mfa_backup_codes_user_hash_key ON mfa_backup_codes (user_id, code_hash);

--bun:split

CREATE TABLE webauthn_credentials (
    id              text        PRIMARY KEY,
    user_id         text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id   text        NOT NULL,
    name            text        NOT NULL,
    sign_count      bigint      NOT NULL DEFAULT 0,
    transports      text        NOT NULL DEFAULT '[]',
    aaguid          text        NOT NULL DEFAULT '',
    backup_eligible boolean     NOT NULL DEFAULT false,
    discoverable    boolean     NOT NULL DEFAULT false,
    record          bytea       NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    last_used_at    timestamptz
);

--bun:split

-- credential_id is the base64url credential ID: unique across all users.
CREATE UNIQUE INDEX webauthn_credentials_credential_id_key ON webauthn_credentials (credential_id);

--bun:split

CREATE INDEX webauthn_credentials_user_id_idx ON webauthn_credentials (user_id, created_at);

--bun:split

CREATE TABLE organization_security_policies (
    organization_id    text        PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    mfa_policy_mode    text        NOT NULL CHECK (mfa_policy_mode IN ('disabled', 'optional', 'require_totp', 'require_webauthn', 'require_totp_or_webauthn')),
    mfa_grace_period_days integer  NOT NULL CHECK (mfa_grace_period_days BETWEEN 0 AND 365),
    notify_days_before integer     NOT NULL CHECK (notify_days_before BETWEEN 0 AND 30),
    policy_version     integer     NOT NULL,
    updated_by_user_id text        REFERENCES users (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);

--bun:split

CREATE TABLE user_security_policies (
    organization_id   text        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id           text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mfa_override_mode text        NOT NULL CHECK (mfa_override_mode IN ('inherit', 'required', 'exempt')),
    force_totp        boolean     NOT NULL DEFAULT false,
    force_webauthn    boolean     NOT NULL DEFAULT false,
    updated_by_user_id text       REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);

--bun:split

CREATE INDEX user_security_policies_user_id_idx ON user_security_policies (user_id);

--bun:split

CREATE TABLE mfa_policy_compliance (
    organization_id    text        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id            text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status             text        NOT NULL CHECK (status IN ('not_applicable', 'pending', 'in_grace', 'compliant', 'past_due', 'suspended')),
    policy_version     integer     NOT NULL,
    applied_at         timestamptz NOT NULL,
    deadline_at        timestamptz,
    compliant_at       timestamptz,
    suspended_at       timestamptz,
    last_notified_at   timestamptz,
    notification_count integer     NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);

--bun:split

CREATE INDEX mfa_policy_compliance_user_id_idx ON mfa_policy_compliance (user_id);

--bun:split

-- A named lease elects one node for a periodic job.
CREATE TABLE job_leases (
    name       text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);
