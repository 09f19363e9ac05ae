-- Tasks (with recurrence and group copies), group tasks, activities, comments, calendar
-- feeds, notification preferences; notifications get a key that makes them happen once.

CREATE TABLE tasks (
    id                UUID PRIMARY KEY,
    version           BIGINT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('call', 'meeting', 'email', 'todo', 'custom')),
    kind_label        TEXT,
    title             TEXT NOT NULL,
    description       TEXT,
    due_at            TIMESTAMPTZ,
    all_day           BOOLEAN NOT NULL DEFAULT FALSE,
    time_zone         TEXT NOT NULL,
    duration_minutes  INTEGER,
    reminders         JSONB NOT NULL,
    assignee_id       UUID NOT NULL REFERENCES users (id),
    created_by        UUID,
    related_type      TEXT,
    related_id        UUID,
    priority          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    result_note       TEXT,
    completed_at      TIMESTAMPTZ,
    completed_by      UUID,
    recurrence        TEXT,
    series_id         UUID,
    series_start      TIMESTAMPTZ,
    occurrence        INTEGER NOT NULL DEFAULT 0,
    group_id          UUID,
    contact_ids       JSONB NOT NULL,
    contacts_done     JSONB NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    deleted_at        TIMESTAMPTZ
);
-- My tasks and overdue lists (per person and per team) read one index range each.
CREATE INDEX tasks_assignee ON tasks (assignee_id, status, due_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_creator ON tasks (created_by, status, due_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_due ON tasks (status, due_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_related ON tasks (related_type, related_id, created_at, id);
CREATE INDEX tasks_group ON tasks (group_id, assignee_id);
-- One task per place in a series: completing an occurrence twice never makes two next ones.
CREATE UNIQUE INDEX tasks_series ON tasks (series_id, occurrence) WHERE series_id IS NOT NULL;

CREATE TABLE task_groups (
    id              UUID PRIMARY KEY,
    version         BIGINT NOT NULL,
    title           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    script          TEXT,
    templates       JSONB NOT NULL,
    contact_ids     JSONB NOT NULL,
    split_contacts  BOOLEAN NOT NULL DEFAULT FALSE,
    assignee_ids    JSONB NOT NULL,
    due_at          TIMESTAMPTZ,
    all_day         BOOLEAN NOT NULL DEFAULT FALSE,
    time_zone       TEXT NOT NULL,
    created_by      UUID,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX task_groups_creator ON task_groups (created_by, created_at, id);

CREATE TABLE activities (
    id                UUID PRIMARY KEY,
    version           BIGINT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('call', 'meeting', 'email', 'message', 'note')),
    direction         TEXT,
    subject           TEXT,
    body              TEXT,
    occurred_at       TIMESTAMPTZ NOT NULL,
    duration_seconds  INTEGER,
    result            TEXT,
    recording_url     TEXT,
    related_type      TEXT NOT NULL,
    related_id        UUID NOT NULL,
    contact_id        UUID,
    company_id        UUID,
    created_by        UUID,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    deleted_at        TIMESTAMPTZ
);
CREATE INDEX activities_related ON activities (related_type, related_id, occurred_at, id);
CREATE INDEX activities_contact ON activities (contact_id, occurred_at, id);
CREATE INDEX activities_company ON activities (company_id, occurred_at, id);
CREATE INDEX activities_creator ON activities (created_by, occurred_at, id);

CREATE TABLE comments (
    id            UUID PRIMARY KEY,
    version       BIGINT NOT NULL,
    related_type  TEXT NOT NULL,
    related_id    UUID NOT NULL,
    author_id     UUID,
    author_name   TEXT NOT NULL,
    body          TEXT NOT NULL,
    mentions      JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX comments_related ON comments (related_type, related_id, created_at, id);

-- Private iCalendar feed URLs: the token is in the URL, only its hash is kept.
CREATE TABLE calendar_feeds (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX calendar_feeds_hash ON calendar_feeds (token_hash);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id);

CREATE TABLE notification_prefs (
    user_id     UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    prefs       JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- A notification with a key happens once (a reminder, a stuck deal's stay), however often the
-- job that makes it runs; `params` lets the UI say it in the reader's language.
ALTER TABLE notifications ADD COLUMN dedupe_key TEXT;
ALTER TABLE notifications ADD COLUMN params JSONB;
CREATE UNIQUE INDEX notifications_dedupe ON notifications (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX notifications_unread ON notifications (user_id, read_at);
