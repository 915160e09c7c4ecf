-- The durable email outbox: a message is written in the transaction of the
-- change that caused it and delivered by workers, which claim due rows
-- under a lease (claimed_until, which is also written to next_attempt_at,
-- so one index serves the claim). SQLite has a single writer, so a claim
-- (one UPDATE ... RETURNING) is atomic without row locks.
-- vars is a JSON object of template values, sensitive a JSON array of the
-- names that are redacted once the message is sent. id doubles as the
-- idempotency key handed to providers.

CREATE TABLE mail_outbox (
    id                  TEXT      PRIMARY KEY NOT NULL,
    template            TEXT      NOT NULL,
    to_address          TEXT      NOT NULL,
    to_name             TEXT      NOT NULL DEFAULT '',
    vars                TEXT      NOT NULL DEFAULT '{}',
    sensitive           TEXT      NOT NULL DEFAULT '[]',
    status              TEXT      NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'dead')),
    attempts            INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at     TIMESTAMP NOT NULL,
    claimed_until       TIMESTAMP,
    claim_token         TEXT,
    last_error          TEXT,
    provider_message_id TEXT,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    sent_at             TIMESTAMP
);

--bun:split

-- The claim query: pending rows due first.
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'pending';

--bun:split

-- Operator listings, newest first, optionally by status.
CREATE INDEX mail_outbox_created_at_id_idx ON mail_outbox (created_at, id);

--bun:split

CREATE INDEX mail_outbox_status_created_at_id_idx ON mail_outbox (status, created_at, id);

--bun:split

-- The purge of old sent and dead messages.
CREATE INDEX mail_outbox_status_updated_at_idx ON mail_outbox (status, updated_at);
