-- Communications and the inbox.
-- channels: mailboxes, SMS numbers, messenger bots, the website chat, telephone lines and
-- forms, with non-secret settings and their secrets (never returned by the API; see
-- docs/COMMUNICATIONS.md) and the poller's state (IMAP UIDVALIDITY and last UID).
-- conversations: one thread with one client on one channel; messages in and out with their
-- threading ids; message_events: opens, clicks, unsubscribes; calls from the PBX;
-- consents: the newest row per (channel, address) decides; comm_docs: templates, forms,
-- sequences and bot rules (small documents read whole); form_submissions; enrollments of
-- contacts in sequences.

CREATE TABLE channels (
    id           UUID PRIMARY KEY,
    version      BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    provider     TEXT NOT NULL,
    name         TEXT NOT NULL,
    active       BOOLEAN NOT NULL,
    owner_id     UUID REFERENCES users (id),
    assignee_id  UUID REFERENCES users (id),
    public_key   TEXT NOT NULL UNIQUE,
    settings     JSONB NOT NULL,
    secrets      JSONB NOT NULL,
    state        JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE conversations (
    id               UUID PRIMARY KEY,
    version          BIGINT NOT NULL,
    channel_id       UUID REFERENCES channels (id),
    channel_kind     TEXT NOT NULL,
    subject          TEXT,
    status           TEXT NOT NULL CHECK (status IN ('new', 'open', 'waiting', 'closed')),
    assignee_id      UUID REFERENCES users (id),
    contact_id       UUID REFERENCES contacts (id),
    company_id       UUID REFERENCES companies (id),
    lead_id          UUID REFERENCES leads (id),
    peer             TEXT NOT NULL,
    peer_name        TEXT,
    unread           BIGINT NOT NULL,
    last_message_at  TIMESTAMPTZ NOT NULL,
    preview          TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversations_recent ON conversations (last_message_at, id);
CREATE INDEX conversations_peer ON conversations (channel_id, peer, last_message_at);
CREATE INDEX conversations_contact ON conversations (contact_id, last_message_at);
CREATE INDEX conversations_company ON conversations (company_id, last_message_at);
CREATE INDEX conversations_assignee ON conversations (assignee_id, last_message_at);

CREATE TABLE messages (
    id              UUID PRIMARY KEY,
    conversation_id UUID NOT NULL REFERENCES conversations (id),
    channel_id      UUID REFERENCES channels (id),
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    status          TEXT NOT NULL CHECK (status IN ('received', 'pending', 'sent', 'failed', 'suppressed')),
    from_addr       TEXT NOT NULL,
    from_name       TEXT,
    to_addrs        JSONB NOT NULL,
    subject         TEXT,
    body_text       TEXT NOT NULL,
    body_html       TEXT,
    rfc_message_id  TEXT,
    in_reply_to     TEXT,
    refs            JSONB NOT NULL,
    external_id     TEXT,
    author_id       UUID REFERENCES users (id),
    attempts        BIGINT NOT NULL,
    last_error      TEXT,
    tracking_token  TEXT UNIQUE,
    attachments     JSONB NOT NULL,
    meta            JSONB NOT NULL,
    sequence_id     UUID,
    sequence_step   BIGINT,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX messages_thread ON messages (conversation_id, created_at, id);
CREATE INDEX messages_rfc_id ON messages (rfc_message_id);
-- Providers retry webhooks and IMAP is read again after a crash: a message is stored once.
CREATE UNIQUE INDEX messages_external ON messages (channel_id, external_id);
CREATE INDEX messages_sequence ON messages (sequence_id, sequence_step);

CREATE TABLE message_events (
    id          UUID PRIMARY KEY,
    message_id  UUID NOT NULL REFERENCES messages (id),
    kind        TEXT NOT NULL,
    url         TEXT,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX message_events_message ON message_events (message_id, at);

CREATE TABLE calls (
    id                UUID PRIMARY KEY,
    version           BIGINT NOT NULL,
    channel_id        UUID NOT NULL REFERENCES channels (id),
    external_id       TEXT NOT NULL,
    direction         TEXT NOT NULL,
    from_number       TEXT NOT NULL,
    to_number         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('ringing', 'answered', 'ended', 'missed')),
    user_id           UUID REFERENCES users (id),
    contact_id        UUID REFERENCES contacts (id),
    company_id        UUID REFERENCES companies (id),
    lead_id           UUID REFERENCES leads (id),
    conversation_id   UUID REFERENCES conversations (id),
    started_at        TIMESTAMPTZ NOT NULL,
    answered_at       TIMESTAMPTZ,
    ended_at          TIMESTAMPTZ,
    duration_seconds  BIGINT,
    recording_url     TEXT,
    task_id           UUID,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX calls_external ON calls (channel_id, external_id);
CREATE INDEX calls_user ON calls (user_id, updated_at);
CREATE INDEX calls_contact ON calls (contact_id, started_at);
CREATE INDEX calls_company ON calls (company_id, started_at);

CREATE TABLE consents (
    id          UUID PRIMARY KEY,
    channel     TEXT NOT NULL,
    address     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('granted', 'withdrawn')),
    source      TEXT NOT NULL,
    text        TEXT,
    contact_id  UUID REFERENCES contacts (id),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX consents_address ON consents (channel, address, created_at);

CREATE TABLE comm_docs (
    id          UUID PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('template', 'form', 'sequence', 'bot_rule')),
    version     BIGINT NOT NULL,
    name        TEXT NOT NULL,
    public_key  TEXT UNIQUE,
    body        JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX comm_docs_kind ON comm_docs (kind, name);

CREATE TABLE form_submissions (
    id               UUID PRIMARY KEY,
    form_id          UUID NOT NULL REFERENCES comm_docs (id),
    lead_id          UUID REFERENCES leads (id),
    conversation_id  UUID REFERENCES conversations (id),
    data             JSONB NOT NULL,
    consent          BOOLEAN NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX form_submissions_form ON form_submissions (form_id, created_at);

CREATE TABLE enrollments (
    id           UUID PRIMARY KEY,
    sequence_id  UUID NOT NULL REFERENCES comm_docs (id),
    contact_id   UUID NOT NULL REFERENCES contacts (id),
    address      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('active', 'stopped', 'completed')),
    step         BIGINT NOT NULL,
    next_at      TIMESTAMPTZ,
    stop_reason  TEXT,
    enrolled_by  UUID REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX enrollments_once ON enrollments (sequence_id, contact_id);
CREATE INDEX enrollments_address ON enrollments (address, status);
