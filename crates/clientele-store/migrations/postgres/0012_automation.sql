-- Durable jobs and automation: schedules, job effects, the domain-event outbox, automation
-- rules with their versions and runs, lead distribution, outgoing webhooks.

-- Cron-like schedules: at each slot of `cron` a worker queues one job of `kind` (its dedupe
-- key is the schedule's name and the slot, so several workers queue it once).
CREATE TABLE job_schedules (
    name         TEXT PRIMARY KEY,
    cron         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      JSONB NOT NULL,
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    next_run_at  TIMESTAMPTZ NOT NULL,
    last_run_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- Effects of jobs, by key: the key is written in the transaction of the effect, so an
-- effect happens once even when its worker dies before it marks the job done.
CREATE TABLE job_effects (
    effect_key  TEXT PRIMARY KEY,
    job_id      UUID,
    created_at  TIMESTAMPTZ NOT NULL
);

-- The transactional outbox of domain events: written in the transaction of the change
-- (beside its audit line). `depth` and `chain` say which automation rules led to it.
CREATE TABLE domain_events (
    id           UUID PRIMARY KEY,
    event_type   TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    UUID NOT NULL,
    actor_id     UUID,
    audit_id     UUID,
    data         JSONB NOT NULL,
    depth        BIGINT NOT NULL DEFAULT 0,
    chain        JSONB NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX domain_events_entity ON domain_events (entity_type, entity_id, id);
CREATE INDEX domain_events_type ON domain_events (event_type, id);

-- Automation rules: trigger → conditions → actions, kept as a versioned definition.
CREATE TABLE automation_rules (
    id             UUID PRIMARY KEY,
    version        BIGINT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    enabled        BOOLEAN NOT NULL,
    trigger_kind   TEXT NOT NULL,
    trigger_event  TEXT,
    definition     JSONB NOT NULL,
    created_by     UUID,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    deleted_at     TIMESTAMPTZ
);
CREATE INDEX automation_rules_event ON automation_rules (trigger_event) WHERE enabled AND deleted_at IS NULL;

CREATE TABLE automation_rule_versions (
    rule_id     UUID NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    name        TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL,
    definition  JSONB NOT NULL,
    changed_by  UUID,
    changed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (rule_id, version)
);

-- What each rule did to each record (or would do, for a dry run).
CREATE TABLE automation_runs (
    id            UUID PRIMARY KEY,
    rule_id       UUID NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
    rule_version  BIGINT NOT NULL,
    event_id      UUID,
    entity_type   TEXT NOT NULL,
    entity_id     UUID NOT NULL,
    status        TEXT NOT NULL,
    depth         BIGINT NOT NULL DEFAULT 0,
    actions       JSONB NOT NULL,
    error         TEXT,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX automation_runs_rule ON automation_runs (rule_id, id);
CREATE INDEX automation_runs_entity ON automation_runs (entity_type, entity_id, id);

-- Lead distribution policies and the assignments they made (for caps and least-loaded).
CREATE TABLE distribution_policies (
    id           UUID PRIMARY KEY,
    version      BIGINT NOT NULL,
    name         TEXT NOT NULL UNIQUE,
    definition   JSONB NOT NULL,
    rr_cursor    BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE distribution_assignments (
    id           UUID PRIMARY KEY,
    policy_id    UUID NOT NULL REFERENCES distribution_policies (id) ON DELETE CASCADE,
    user_id      UUID NOT NULL REFERENCES users (id),
    entity_type  TEXT NOT NULL,
    entity_id    UUID NOT NULL,
    assigned_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX distribution_assignments_user ON distribution_assignments (user_id, assigned_at);

-- Outgoing webhooks: subscriptions per event type, deliveries written with the event.
CREATE TABLE webhook_subscriptions (
    id           UUID PRIMARY KEY,
    version      BIGINT NOT NULL,
    url          TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    secret       TEXT NOT NULL,
    active       BOOLEAN NOT NULL,
    created_by   UUID,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE webhook_subscription_events (
    subscription_id  UUID NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    PRIMARY KEY (event_type, subscription_id)
);
CREATE TABLE webhook_deliveries (
    id               UUID PRIMARY KEY,
    subscription_id  UUID NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id         UUID NOT NULL,
    event_type       TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    response_code    BIGINT,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);
CREATE TABLE webhook_attempts (
    delivery_id    UUID NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt        BIGINT NOT NULL,
    at             TIMESTAMPTZ NOT NULL,
    response_code  BIGINT,
    error          TEXT,
    duration_ms    BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
