DROP TABLE IF EXISTS oidc_registration_tokens;
