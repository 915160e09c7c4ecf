DROP TABLE IF EXISTS oidc_device_grants;
