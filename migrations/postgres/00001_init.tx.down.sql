DROP TABLE IF EXISTS audit_logs;

--bun:split

DROP TABLE IF EXISTS link_tokens;

--bun:split

DROP TABLE IF EXISTS authentication_methods;

--bun:split

DROP TABLE IF EXISTS users;
