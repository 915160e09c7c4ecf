DROP TABLE IF EXISTS oidc_events;
