-- Organizations, memberships, invitations, API keys and the first-user
-- claim. Soft deletion keeps rows; partial unique indexes apply to live
-- rows only, so a deleted organization's slug can be reused.

CREATE TABLE organizations (
    id          text        PRIMARY KEY,
    name        text        NOT NULL,
    slug        text        NOT NULL,
    description text,
    logo_url    text,
    is_active   boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);

--bun:split

CREATE UNIQUE INDEX organizations_slug_live_key ON organizations (slug) WHERE deleted_at IS NULL;

--bun:split

-- One row per (organization, user), removed or not: adding a former member
-- again revives the row.
CREATE TABLE organization_members (
    id              text        PRIMARY KEY,
    organization_id text        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'guest')),
    invited_by_id   text        REFERENCES users (id) ON DELETE SET NULL,
    invited_at      timestamptz,
    joined_at       timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
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
    id              text        PRIMARY KEY,
    organization_id text        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    invited_by_id   text        REFERENCES users (id) ON DELETE SET NULL,
    email           text        NOT NULL,
    role            text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'guest')),
    token_hash      text        NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    accepted_at     timestamptz,
    accepted_by_id  text        REFERENCES users (id) ON DELETE SET NULL,
    cancelled_at    timestamptz
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
    id              text        PRIMARY KEY,
    organization_id text        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text        NOT NULL,
    description     text,
    key_hint        text        NOT NULL,
    key_hash        text        NOT NULL,
    created_by_id   text        REFERENCES users (id) ON DELETE SET NULL,
    last_used_at    timestamptz,
    is_revoked      boolean     NOT NULL DEFAULT false,
    revoked_at      timestamptz,
    revoke_reason   text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
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
    id         integer     PRIMARY KEY CHECK (id = 1),
    user_id    text,
    claimed_at timestamptz NOT NULL
);

--bun:split

INSERT INTO first_user_claim (id, user_id, claimed_at)
SELECT 1, NULL, now() WHERE EXISTS (SELECT 1 FROM users);
