DROP TABLE IF EXISTS first_user_claim;

--bun:split

DROP TABLE IF EXISTS organization_api_keys;

--bun:split

DROP TABLE IF EXISTS org_invite_tokens;

--bun:split

DROP TABLE IF EXISTS organization_members;

--bun:split

DROP TABLE IF EXISTS organizations;
