-- The report builder's saved reports: a definition (object, columns, filter, grouping,
-- aggregates, sort, chart) private to its owner or shared, and an optional e-mail schedule.
CREATE TABLE saved_reports (
    id           BLOB PRIMARY KEY NOT NULL,
    version      INTEGER NOT NULL,
    name         TEXT NOT NULL,
    owner_id     BLOB NOT NULL REFERENCES users (id),
    shared       INTEGER NOT NULL DEFAULT 0,
    entity       TEXT NOT NULL,
    definition   TEXT NOT NULL,
    schedule     TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX saved_reports_owner ON saved_reports (owner_id);
