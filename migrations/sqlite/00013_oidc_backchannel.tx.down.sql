DROP INDEX IF EXISTS oidc_auth_requests_session_idx;

--bun:split

DROP INDEX IF EXISTS oidc_refresh_tokens_session_idx;

--bun:split

DROP TABLE IF EXISTS oidc_backchannel_logouts;
