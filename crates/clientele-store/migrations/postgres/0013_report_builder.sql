-- The report builder's saved reports: a definition (object, columns, filter, grouping,
-- aggregates, sort, chart) private to its owner or shared, and an optional e-mail schedule.
CREATE TABLE saved_reports (
    id           UUID PRIMARY KEY,
    version      BIGINT NOT NULL,
    name         TEXT NOT NULL,
    owner_id     UUID NOT NULL REFERENCES users (id),
    shared       BOOLEAN NOT NULL DEFAULT FALSE,
    entity       TEXT NOT NULL,
    definition   JSONB NOT NULL,
    schedule     JSONB,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX saved_reports_owner ON saved_reports (owner_id);
