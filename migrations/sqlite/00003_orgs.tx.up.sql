-- Organizations, memberships, invitations, API keys and the first-user
-- claim. Times are UTC text in Bun's fixed layout; partial unique indexes
-- apply to live rows only, so a deleted organization's slug can be reused.

CREATE TABLE organizations (
    id          TEXT        PRIMARY KEY NOT NULL,
    name        TEXT        NOT NULL,
    slug        TEXT        NOT NULL,
    description TEXT,
    logo_url    TEXT,
    is_active   BOOLEAN     NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    deleted_at  TIMESTAMP
);

--bun:split

CREATE UNIQUE INDEX organizations_slug_live_key ON organizations (slug) WHERE deleted_at IS NULL;

--bun:split

-- One row per (organization, user), removed or not: adding a former member
-- again revives the row.
CREATE TABLE organization_members (
    id              TEXT        PRIMARY KEY NOT NULL,
    organization_id TEXT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         TEXT        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            TEXT        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'guest')),
    invited_by_id   TEXT        REFERENCES users (id) ON DELETE SET NULL,
    invited_at      TIMESTAMP,
    joined_at       TIMESTAMP NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    deleted_at      TIMESTAMP
);

--bun:split

CREATE UNIQUE INDEX organization_members_org_user_key ON organization_members (organization_id, user_id);

--bun:split

-- "My organizations", admin scoping and account deletion look up by user.
CREATE INDEX organization_members_user_id_idx ON organization_members (user_id, role);

--bun:split

CREATE INDEX organization_members_invited_by_id_idx ON organization_members (invited_by_id);

--bun:split

CREATE TABLE org_invite_tokens (
    id              TEXT        PRIMARY KEY NOT NULL,
    organization_id TEXT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    invited_by_id   TEXT        REFERENCES users (id) ON DELETE SET NULL,
    email           TEXT        NOT NULL,
    role            TEXT        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'guest')),
    token_hash      TEXT        NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    accepted_at     TIMESTAMP,
    accepted_by_id  TEXT        REFERENCES users (id) ON DELETE SET NULL,
    cancelled_at    TIMESTAMP
);

--bun:split

CREATE UNIQUE INDEX org_invite_tokens_token_hash_key ON org_invite_tokens (token_hash);

--bun:split

CREATE INDEX org_invite_tokens_org_created_idx ON org_invite_tokens (organization_id, created_at);

--bun:split

CREATE INDEX org_invite_tokens_email_idx ON org_invite_tokens (email);

--bun:split

CREATE INDEX org_invite_tokens_invited_by_id_idx ON org_invite_tokens (invited_by_id);

--bun:split

CREATE INDEX org_invite_tokens_accepted_by_id_idx ON org_invite_tokens (accepted_by_id);

--bun:split

CREATE TABLE organization_api_keys (
    id              TEXT        PRIMARY KEY NOT NULL,
    organization_id TEXT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT        NOT NULL,
    description     TEXT,
    key_hint        TEXT        NOT NULL,
    key_hash        TEXT        NOT NULL,
    created_by_id   TEXT        REFERENCES users (id) ON DELETE SET NULL,
    last_used_at    TIMESTAMP,
    is_revoked      BOOLEAN     NOT NULL DEFAULT FALSE,
    revoked_at      TIMESTAMP,
    revoke_reason   TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

--bun:split

CREATE UNIQUE INDEX organization_api_keys_key_hash_key ON organization_api_keys (key_hash);

--bun:split

CREATE INDEX organization_api_keys_org_created_idx ON organization_api_keys (organization_id, created_at);

--bun:split

CREATE INDEX organization_api_keys_created_by_id_idx ON organization_api_keys (created_by_id);

--bun:split

-- At most one row (id = 1): the installation's first user, who becomes a
-- platform admin. The primary key makes the claim race-free: a second
-- concurrent insert waits for the first and then finds the row taken. An
-- installation that already has users counts as claimed.
CREATE TABLE first_user_claim (
    id         INTEGER     PRIMARY KEY CHECK (id = 1),
    user_id    TEXT,
    claimed_at TIMESTAMP NOT NULL
);

--bun:split

INSERT INTO first_user_claim (id, user_id, claimed_at)
SELECT 1, NULL, strftime('%Y-%m-%d %H:%M:%S+00:00', 'now') WHERE EXISTS (SELECT 1 FROM users);
