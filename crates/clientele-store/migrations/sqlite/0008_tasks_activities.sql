-- Tasks (with recurrence and group copies), group tasks, activities, comments, calendar
-- feeds, notification preferences; notifications get a key that makes them happen once.

CREATE TABLE tasks (
    id                BLOB PRIMARY KEY NOT NULL,
    version           INTEGER NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('call', 'meeting', 'email', 'todo', 'custom')),
    kind_label        TEXT,
    title             TEXT NOT NULL,
    description       TEXT,
    due_at            TEXT,
    all_day           INTEGER NOT NULL DEFAULT 0,
    time_zone         TEXT NOT NULL,
    duration_minutes  INTEGER,
    reminders         TEXT NOT NULL,
    assignee_id       BLOB NOT NULL REFERENCES users (id),
    created_by        BLOB,
    related_type      TEXT,
    related_id        BLOB,
    priority          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    result_note       TEXT,
    completed_at      TEXT,
    completed_by      BLOB,
    recurrence        TEXT,
    series_id         BLOB,
    series_start      TEXT,
    occurrence        INTEGER NOT NULL DEFAULT 0,
    group_id          BLOB,
    contact_ids       TEXT NOT NULL,
    contacts_done     TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    deleted_at        TEXT
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
    id              BLOB PRIMARY KEY NOT NULL,
    version         INTEGER NOT NULL,
    title           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    script          TEXT,
    templates       TEXT NOT NULL,
    contact_ids     TEXT NOT NULL,
    split_contacts  INTEGER NOT NULL DEFAULT 0,
    assignee_ids    TEXT NOT NULL,
    due_at          TEXT,
    all_day         INTEGER NOT NULL DEFAULT 0,
    time_zone       TEXT NOT NULL,
    created_by      BLOB,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX task_groups_creator ON task_groups (created_by, created_at, id);

CREATE TABLE activities (
    id                BLOB PRIMARY KEY NOT NULL,
    version           INTEGER NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('call', 'meeting', 'email', 'message', 'note')),
    direction         TEXT,
    subject           TEXT,
    body              TEXT,
    occurred_at       TEXT NOT NULL,
    duration_seconds  INTEGER,
    result            TEXT,
    recording_url     TEXT,
    related_type      TEXT NOT NULL,
    related_id        BLOB NOT NULL,
    contact_id        BLOB,
    company_id        BLOB,
    created_by        BLOB,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    deleted_at        TEXT
);
CREATE INDEX activities_related ON activities (related_type, related_id, occurred_at, id);
CREATE INDEX activities_contact ON activities (contact_id, occurred_at, id);
CREATE INDEX activities_company ON activities (company_id, occurred_at, id);
CREATE INDEX activities_creator ON activities (created_by, occurred_at, id);

CREATE TABLE comments (
    id            BLOB PRIMARY KEY NOT NULL,
    version       INTEGER NOT NULL,
    related_type  TEXT NOT NULL,
    related_id    BLOB NOT NULL,
    author_id     BLOB,
    author_name   TEXT NOT NULL,
    body          TEXT NOT NULL,
    mentions      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX comments_related ON comments (related_type, related_id, created_at, id);

-- Private iCalendar feed URLs: the token is in the URL, only its hash is kept.
CREATE TABLE calendar_feeds (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE UNIQUE INDEX calendar_feeds_hash ON calendar_feeds (token_hash);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id);

CREATE TABLE notification_prefs (
    user_id     BLOB PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    prefs       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A notification with a key happens once (a reminder, a stuck deal's stay), however often the
-- job that makes it runs; `params` lets the UI say it in the reader's language.
ALTER TABLE notifications ADD COLUMN dedupe_key TEXT;
ALTER TABLE notifications ADD COLUMN params TEXT;
CREATE UNIQUE INDEX notifications_dedupe ON notifications (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX notifications_unread ON notifications (user_id, read_at);
