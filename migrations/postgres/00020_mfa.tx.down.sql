DROP TABLE IF EXISTS job_leases;

--bun:split

DROP TABLE IF EXISTS mfa_policy_compliance;

--bun:split

DROP TABLE IF EXISTS user_security_policies;

--bun:split

DROP TABLE IF EXISTS organization_security_policies;

--bun:split

DROP TABLE IF EXISTS webauthn_credentials;

--bun:split

DROP TABLE IF EXISTS mfa_backup_codes;

--bun:split

DROP TABLE IF EXISTS mfa_totp;
