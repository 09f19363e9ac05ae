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
    id           BLOB PRIMARY KEY NOT NULL,
    version      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    provider     TEXT NOT NULL,
    name         TEXT NOT NULL,
    active       INTEGER NOT NULL,
    owner_id     BLOB REFERENCES users (id),
    assignee_id  BLOB REFERENCES users (id),
    public_key   TEXT NOT NULL UNIQUE,
    settings     TEXT NOT NULL,
    secrets      TEXT NOT NULL,
    state        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE conversations (
    id               BLOB PRIMARY KEY NOT NULL,
    version          INTEGER NOT NULL,
    channel_id       BLOB REFERENCES channels (id),
    channel_kind     TEXT NOT NULL,
    subject          TEXT,
    status           TEXT NOT NULL CHECK (status IN ('new', 'open', 'waiting', 'closed')),
    assignee_id      BLOB REFERENCES users (id),
    contact_id       BLOB REFERENCES contacts (id),
    company_id       BLOB REFERENCES companies (id),
    lead_id          BLOB REFERENCES leads (id),
    peer             TEXT NOT NULL,
    peer_name        TEXT,
    unread           INTEGER NOT NULL,
    last_message_at  TEXT NOT NULL,
    preview          TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX conversations_recent ON conversations (last_message_at, id);
CREATE INDEX conversations_peer ON conversations (channel_id, peer, last_message_at);
CREATE INDEX conversations_contact ON conversations (contact_id, last_message_at);
CREATE INDEX conversations_company ON conversations (company_id, last_message_at);
CREATE INDEX conversations_assignee ON conversations (assignee_id, last_message_at);

CREATE TABLE messages (
    id              BLOB PRIMARY KEY NOT NULL,
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    channel_id      BLOB REFERENCES channels (id),
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    status          TEXT NOT NULL CHECK (status IN ('received', 'pending', 'sent', 'failed', 'suppressed')),
    from_addr       TEXT NOT NULL,
    from_name       TEXT,
    to_addrs        TEXT NOT NULL,
    subject         TEXT,
    body_text       TEXT NOT NULL,
    body_html       TEXT,
    rfc_message_id  TEXT,
    in_reply_to     TEXT,
    refs            TEXT NOT NULL,
    external_id     TEXT,
    author_id       BLOB REFERENCES users (id),
    attempts        INTEGER NOT NULL,
    last_error      TEXT,
    tracking_token  TEXT UNIQUE,
    attachments     TEXT NOT NULL,
    meta            TEXT NOT NULL,
    sequence_id     BLOB,
    sequence_step   INTEGER,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX messages_thread ON messages (conversation_id, created_at, id);
CREATE INDEX messages_rfc_id ON messages (rfc_message_id);
-- Providers retry webhooks and IMAP is read again after a crash: a message is stored once.
CREATE UNIQUE INDEX messages_external ON messages (channel_id, external_id);
CREATE INDEX messages_sequence ON messages (sequence_id, sequence_step);

CREATE TABLE message_events (
    id          BLOB PRIMARY KEY NOT NULL,
    message_id  BLOB NOT NULL REFERENCES messages (id),
    kind        TEXT NOT NULL,
    url         TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX message_events_message ON message_events (message_id, at);

CREATE TABLE calls (
    id                BLOB PRIMARY KEY NOT NULL,
    version           INTEGER NOT NULL,
    channel_id        BLOB NOT NULL REFERENCES channels (id),
    external_id       TEXT NOT NULL,
    direction         TEXT NOT NULL,
    from_number       TEXT NOT NULL,
    to_number         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('ringing', 'answered', 'ended', 'missed')),
    user_id           BLOB REFERENCES users (id),
    contact_id        BLOB REFERENCES contacts (id),
    company_id        BLOB REFERENCES companies (id),
    lead_id           BLOB REFERENCES leads (id),
    conversation_id   BLOB REFERENCES conversations (id),
    started_at        TEXT NOT NULL,
    answered_at       TEXT,
    ended_at          TEXT,
    duration_seconds  INTEGER,
    recording_url     TEXT,
    task_id           BLOB,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX calls_external ON calls (channel_id, external_id);
CREATE INDEX calls_user ON calls (user_id, updated_at);
CREATE INDEX calls_contact ON calls (contact_id, started_at);
CREATE INDEX calls_company ON calls (company_id, started_at);

CREATE TABLE consents (
    id          BLOB PRIMARY KEY NOT NULL,
    channel     TEXT NOT NULL,
    address     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('granted', 'withdrawn')),
    source      TEXT NOT NULL,
    text        TEXT,
    contact_id  BLOB REFERENCES contacts (id),
    created_at  TEXT NOT NULL
);
CREATE INDEX consents_address ON consents (channel, address, created_at);

CREATE TABLE comm_docs (
    id          BLOB PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('template', 'form', 'sequence', 'bot_rule')),
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    public_key  TEXT UNIQUE,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX comm_docs_kind ON comm_docs (kind, name);

CREATE TABLE form_submissions (
    id               BLOB PRIMARY KEY NOT NULL,
    form_id          BLOB NOT NULL REFERENCES comm_docs (id),
    lead_id          BLOB REFERENCES leads (id),
    conversation_id  BLOB REFERENCES conversations (id),
    data             TEXT NOT NULL,
    consent          INTEGER NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX form_submissions_form ON form_submissions (form_id, created_at);

CREATE TABLE enrollments (
    id           BLOB PRIMARY KEY NOT NULL,
    sequence_id  BLOB NOT NULL REFERENCES comm_docs (id),
    contact_id   BLOB NOT NULL REFERENCES contacts (id),
    address      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('active', 'stopped', 'completed')),
    step         INTEGER NOT NULL,
    next_at      TEXT,
    stop_reason  TEXT,
    enrolled_by  BLOB REFERENCES users (id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX enrollments_once ON enrollments (sequence_id, contact_id);
CREATE INDEX enrollments_address ON enrollments (address, status);
