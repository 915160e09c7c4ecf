DROP TABLE IF EXISTS oidc_signing_keys;

--bun:split

DROP TABLE IF EXISTS oidc_consents;

--bun:split

DROP TABLE IF EXISTS oidc_refresh_tokens;

--bun:split

DROP TABLE IF EXISTS oidc_auth_requests;

--bun:split

DROP TABLE IF EXISTS oidc_clients;
