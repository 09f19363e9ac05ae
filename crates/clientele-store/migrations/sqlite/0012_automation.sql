-- Durable jobs and automation: schedules, job effects, the domain-event outbox, automation
-- rules with their versions and runs, lead distribution, outgoing webhooks.

-- Cron-like schedules: at each slot of `cron` a worker queues one job of `kind` (its dedupe
-- key is the schedule's name and the slot, so several workers queue it once).
CREATE TABLE job_schedules (
    name         TEXT PRIMARY KEY NOT NULL,
    cron         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1,
    next_run_at  TEXT NOT NULL,
    last_run_at  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- Effects of jobs, by key: the key is written in the transaction of the effect, so an
-- effect happens once even when its worker dies before it marks the job done.
CREATE TABLE job_effects (
    effect_key  TEXT PRIMARY KEY NOT NULL,
    job_id      BLOB,
    created_at  TEXT NOT NULL
);

-- The transactional outbox of domain events: written in the transaction of the change
-- (beside its audit line). `depth` and `chain` say which automation rules led to it.
CREATE TABLE domain_events (
    id           BLOB PRIMARY KEY NOT NULL,
    event_type   TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    BLOB NOT NULL,
    actor_id     BLOB,
    audit_id     BLOB,
    data         TEXT NOT NULL,
    depth        INTEGER NOT NULL DEFAULT 0,
    chain        TEXT NOT NULL,
    occurred_at  TEXT NOT NULL
);
CREATE INDEX domain_events_entity ON domain_events (entity_type, entity_id, id);
CREATE INDEX domain_events_type ON domain_events (event_type, id);

-- Automation rules: trigger → conditions → actions, kept as a versioned definition.
CREATE TABLE automation_rules (
    id             BLOB PRIMARY KEY NOT NULL,
    version        INTEGER NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    enabled        INTEGER NOT NULL,
    trigger_kind   TEXT NOT NULL,
    trigger_event  TEXT,
    definition     TEXT NOT NULL,
    created_by     BLOB,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted_at     TEXT
);
CREATE INDEX automation_rules_event ON automation_rules (trigger_event) WHERE enabled = 1 AND deleted_at IS NULL;

CREATE TABLE automation_rule_versions (
    rule_id     BLOB NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    definition  TEXT NOT NULL,
    changed_by  BLOB,
    changed_at  TEXT NOT NULL,
    PRIMARY KEY (rule_id, version)
);

-- What each rule did to each record (or would do, for a dry run).
CREATE TABLE automation_runs (
    id            BLOB PRIMARY KEY NOT NULL,
    rule_id       BLOB NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
    rule_version  INTEGER NOT NULL,
    event_id      BLOB,
    entity_type   TEXT NOT NULL,
    entity_id     BLOB NOT NULL,
    status        TEXT NOT NULL,
    depth         INTEGER NOT NULL DEFAULT 0,
    actions       TEXT NOT NULL,
    error         TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX automation_runs_rule ON automation_runs (rule_id, id);
CREATE INDEX automation_runs_entity ON automation_runs (entity_type, entity_id, id);

-- Lead distribution policies and the assignments they made (for caps and least-loaded).
CREATE TABLE distribution_policies (
    id           BLOB PRIMARY KEY NOT NULL,
    version      INTEGER NOT NULL,
    name         TEXT NOT NULL UNIQUE,
    definition   TEXT NOT NULL,
    rr_cursor    INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE distribution_assignments (
    id           BLOB PRIMARY KEY NOT NULL,
    policy_id    BLOB NOT NULL REFERENCES distribution_policies (id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users (id),
    entity_type  TEXT NOT NULL,
    entity_id    BLOB NOT NULL,
    assigned_at  TEXT NOT NULL
);
CREATE INDEX distribution_assignments_user ON distribution_assignments (user_id, assigned_at);

-- Outgoing webhooks: subscriptions per event type, deliveries written with the event.
CREATE TABLE webhook_subscriptions (
    id           BLOB PRIMARY KEY NOT NULL,
    version      INTEGER NOT NULL,
    url          TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    secret       TEXT NOT NULL,
    active       INTEGER NOT NULL,
    created_by   BLOB,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE webhook_subscription_events (
    subscription_id  BLOB NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    PRIMARY KEY (event_type, subscription_id)
);
CREATE TABLE webhook_deliveries (
    id               BLOB PRIMARY KEY NOT NULL,
    subscription_id  BLOB NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id         BLOB NOT NULL,
    event_type       TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    response_code    INTEGER,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    delivered_at     TEXT
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);
CREATE TABLE webhook_attempts (
    delivery_id    BLOB NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt        INTEGER NOT NULL,
    at             TEXT NOT NULL,
    response_code  INTEGER,
    error          TEXT,
    duration_ms    INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
