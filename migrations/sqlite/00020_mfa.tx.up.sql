-- Second factors (TOTP with backup codes, passkeys), organization MFA
-- policies, per-user overrides, compliance records and job leases (SQLite:
-- times are UTC text in Bun's fixed layout, booleans 0/1).

-- One TOTP method per user; the secret is sealed (AES-256-GCM under a key
-- derived from ENCRYPTION_KEY). last_step is the last accepted time step:
-- codes of that step or earlier are refused (replay protection).
CREATE TABLE mfa_totp (
    user_id       TEXT        PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed BLOB        NOT NULL,
    seal_key_id   TEXT        NOT NULL,
    verified_at   TIMESTAMP,
    last_step     BIGINT      NOT NULL DEFAULT 0,
    created_at    TIMESTAMP   NOT NULL,
    updated_at    TIMESTAMP   NOT NULL
);

--bun:split

-- Backup codes are stored as keyed hashes only.
CREATE TABLE mfa_backup_codes (
    id         TEXT        PRIMARY KEY NOT NULL,
    user_id    TEXT        NOT NULL REFERENCES mfa_totp (user_id) ON DELETE CASCADE,
    code_hash  TEXT        NOT NULL,
    used_at    TIMESTAMP,
    created_at TIMESTAMP   NOT NULL
);

--bun:split

CREATE UNIQUE INDEX mfa_backup_codes_user_hash_key ON mfa_backup_codes (user_id, code_hash);

--bun:split

CREATE TABLE webauthn_credentials (
    id              TEXT        PRIMARY KEY NOT NULL,
    user_id         TEXT        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id   TEXT        NOT NULL,
    name            TEXT        NOT NULL,
    sign_count      BIGINT      NOT NULL DEFAULT 0,
    transports      TEXT        NOT NULL DEFAULT '[]',
    aaguid          TEXT        NOT NULL DEFAULT '',
    backup_eligible BOOLEAN     NOT NULL DEFAULT FALSE,
    discoverable    BOOLEAN     NOT NULL DEFAULT FALSE,
    record          BLOB        NOT NULL,
    created_at      TIMESTAMP   NOT NULL,
    updated_at      TIMESTAMP   NOT NULL,
    last_used_at    TIMESTAMP  
);

--bun:split

-- credential_id is the base64url credential ID: unique across all users.
CREATE UNIQUE INDEX webauthn_credentials_credential_id_key ON webauthn_credentials (credential_id);

--bun:split

CREATE INDEX webauthn_credentials_user_id_idx ON webauthn_credentials (user_id, created_at);

--bun:split

CREATE TABLE organization_security_policies (
    organization_id    TEXT        PRIMARY KEY NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    mfa_policy_mode    TEXT        NOT NULL CHECK (mfa_policy_mode IN ('disabled', 'optional', 'require_totp', 'require_webauthn', 'require_totp_or_webauthn')),
    mfa_grace_period_days INTEGER  NOT NULL CHECK (mfa_grace_period_days BETWEEN 0 AND 365),
    notify_days_before INTEGER     NOT NULL CHECK (notify_days_before BETWEEN 0 AND 30),
    policy_version     INTEGER     NOT NULL,
    updated_by_user_id TEXT        REFERENCES users (id) ON DELETE SET NULL,
    created_at         TIMESTAMP   NOT NULL,
    updated_at         TIMESTAMP   NOT NULL
);

--bun:split

CREATE TABLE user_security_policies (
    organization_id   TEXT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id           TEXT        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mfa_override_mode TEXT        NOT NULL CHECK (mfa_override_mode IN ('inherit', 'required', 'exempt')),
    force_totp        BOOLEAN     NOT NULL DEFAULT FALSE,
    force_webauthn    BOOLEAN     NOT NULL DEFAULT FALSE,
    updated_by_user_id TEXT       REFERENCES users (id) ON DELETE SET NULL,
    created_at        TIMESTAMP   NOT NULL,
    updated_at        TIMESTAMP   NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);

--bun:split

CREATE INDEX user_security_policies_user_id_idx ON user_security_policies (user_id);

--bun:split

CREATE TABLE mfa_policy_compliance (
    organization_id    TEXT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id            TEXT        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status             TEXT        NOT NULL CHECK (status IN ('not_applicable', 'pending', 'in_grace', 'compliant', 'past_due', 'suspended')),
    policy_version     INTEGER     NOT NULL,
    applied_at         TIMESTAMP   NOT NULL,
    deadline_at        TIMESTAMP,
    compliant_at       TIMESTAMP,
    suspended_at       TIMESTAMP,
    last_notified_at   TIMESTAMP,
    notification_count INTEGER     NOT NULL DEFAULT 0,
    created_at         TIMESTAMP   NOT NULL,
    updated_at         TIMESTAMP   NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);

--bun:split

CREATE INDEX mfa_policy_compliance_user_id_idx ON mfa_policy_compliance (user_id);

--bun:split

-- A named lease elects one node for a periodic job.
CREATE TABLE job_leases (
    name       TEXT        PRIMARY KEY NOT NULL,
    holder     TEXT        NOT NULL,
    expires_at TIMESTAMP   NOT NULL
);
