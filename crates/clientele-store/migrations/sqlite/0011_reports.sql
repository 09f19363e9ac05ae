-- Reports and dashboards: sales plans (per manager, team or the whole company), costs per
-- channel and period (acquisition and retention), dashboards of widgets, and the indexes the
-- standard reports read.

CREATE TABLE sales_plans (
    id            BLOB PRIMARY KEY NOT NULL,
    version       INTEGER NOT NULL,
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    user_id       BLOB REFERENCES users (id),
    team_id       BLOB REFERENCES teams (id),
    currency      TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL,
    deal_count    INTEGER NOT NULL,
    margin_minor  INTEGER NOT NULL,
    note          TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK (user_id IS NULL OR team_id IS NULL)
);
CREATE INDEX sales_plans_period ON sales_plans (period_start, period_end);

CREATE TABLE channel_costs (
    id            BLOB PRIMARY KEY NOT NULL,
    version       INTEGER NOT NULL,
    channel       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('acquisition', 'retention')),
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    currency      TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL,
    note          TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX channel_costs_period ON channel_costs (period_start, period_end);

-- A dashboard belongs to its owner; a shared one is seen by everyone (each widget's figures
-- still within the viewer's reach). `widgets` is the JSON list of widget definitions.
CREATE TABLE dashboards (
    id          BLOB PRIMARY KEY NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    owner_id    BLOB REFERENCES users (id) ON DELETE CASCADE,
    shared      INTEGER NOT NULL DEFAULT 0,
    preset      TEXT,
    widgets     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX dashboards_owner ON dashboards (owner_id, name);

-- Cohorts of a pipeline by creation time; won and lost deals by closing time; payments by
-- date; activities and finished tasks by time.
CREATE INDEX deals_pipeline_created ON deals (pipeline_id, created_at, status, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX deals_closed ON deals (status, closed_at) WHERE deleted_at IS NULL AND closed_at IS NOT NULL;
CREATE INDEX deal_payments_date ON deal_payments (kind, date, deal_id);
CREATE INDEX activities_occurred ON activities (occurred_at, kind) WHERE deleted_at IS NULL;
CREATE INDEX tasks_completed ON tasks (completed_at) WHERE deleted_at IS NULL AND completed_at IS NOT NULL;
