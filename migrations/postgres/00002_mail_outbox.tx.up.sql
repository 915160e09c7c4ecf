-- The durable email outbox: a message is written in the transaction of the
-- change that caused it and delivered by workers on any node, which claim
-- due rows with FOR UPDATE SKIP LOCKED under a lease (claimed_until, which
-- is also written to next_attempt_at, so one index serves the claim).
-- vars is a JSON object of template values, sensitive a JSON array of the
-- names that are redacted once the message is sent. id doubles as the
-- idempotency key handed to providers.

CREATE TABLE mail_outbox (
    id                  text        PRIMARY KEY,
    template            text        NOT NULL,
    to_address          text        NOT NULL,
    to_name             text        NOT NULL DEFAULT '',
    vars                text        NOT NULL DEFAULT '{}',
    sensitive           text        NOT NULL DEFAULT '[]',
    status              text        NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'dead')),
    attempts            integer     NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL,
    claimed_until       timestamptz,
    claim_token         text,
    last_error          text,
    provider_message_id text,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    sent_at             timestamptz
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
