-- Sales funnel: pipelines and their stages, loss reasons, currency rates, deals with their
-- co-owners, line items, payments and stage history, and deal events for later automation.
-- Money is exact: integer minor units (cents, kopecks; yen as they are) beside an ISO 4217
-- currency code. Decimal quantities, percentages and rates are kept as decimal text.

CREATE TABLE pipelines (
    id          UUID PRIMARY KEY,
    version     BIGINT NOT NULL,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    archived    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ
);
CREATE INDEX pipelines_position ON pipelines (position, id);

-- A removed stage keeps its row (deleted_at) so that stage history still names it.
CREATE TABLE stages (
    id               UUID PRIMARY KEY,
    pipeline_id      UUID NOT NULL REFERENCES pipelines (id),
    name             TEXT NOT NULL,
    position         INTEGER NOT NULL,
    probability      INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    time_limit_days  INTEGER,
    colour           TEXT,
    kind             TEXT NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ
);
CREATE INDEX stages_pipeline ON stages (pipeline_id, position);
-- Exactly one won and one lost stage per pipeline (the service checks there is one of each).
CREATE UNIQUE INDEX stages_outcome ON stages (pipeline_id, kind) WHERE kind <> 'open' AND deleted_at IS NULL;

CREATE TABLE loss_reasons (
    id          UUID PRIMARY KEY,
    version     BIGINT NOT NULL,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    archived    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- One unit of `currency` is worth `rate` units of `base` from `valid_from` on.
CREATE TABLE currency_rates (
    id          UUID PRIMARY KEY,
    base        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    rate        TEXT NOT NULL,
    valid_from  DATE NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX currency_rates_key ON currency_rates (base, currency, valid_from);

CREATE TABLE deals (
    id                   UUID PRIMARY KEY,
    version              BIGINT NOT NULL,
    title                TEXT NOT NULL,
    sort_title           TEXT NOT NULL,
    pipeline_id          UUID NOT NULL REFERENCES pipelines (id),
    stage_id             UUID NOT NULL REFERENCES stages (id),
    status               TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    amount_minor         BIGINT NOT NULL,
    currency             TEXT NOT NULL,
    expected_close_date  DATE,
    source               TEXT,
    contact_id           UUID REFERENCES contacts (id),
    company_id           UUID REFERENCES companies (id),
    owner_id             UUID REFERENCES users (id),
    co_owners            JSONB NOT NULL,
    lead_id              UUID,
    loss_reason_id       UUID REFERENCES loss_reasons (id),
    loss_note            TEXT,
    notes                TEXT,
    custom_fields        JSONB NOT NULL,
    tags                 JSONB NOT NULL,
    stage_entered_at     TIMESTAMPTZ NOT NULL,
    closed_at            TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    deleted_at           TIMESTAMPTZ
);
-- The board: one index range per stage (newest activity first), also per owner; the
-- per-stage counts and sums read only the covering index.
CREATE INDEX deals_board ON deals (pipeline_id, stage_id, status, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_board_owner ON deals (owner_id, pipeline_id, stage_id, status, updated_at, id, currency, amount_minor) WHERE deleted_at IS NULL;
CREATE INDEX deals_board_sums ON deals (pipeline_id, status, stage_id, currency, amount_minor, owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_stage ON deals (stage_id);
CREATE INDEX deals_updated ON deals (updated_at, id);
CREATE INDEX deals_created ON deals (created_at, id);
CREATE INDEX deals_title ON deals (sort_title, id);
CREATE INDEX deals_owner ON deals (owner_id, updated_at, id);
CREATE INDEX deals_contact ON deals (contact_id);
CREATE INDEX deals_company ON deals (company_id);

-- Co-owners (the main manager is deals.owner_id); deals.co_owners holds a copy for reading.
CREATE TABLE deal_owners (
    deal_id  UUID NOT NULL REFERENCES deals (id),
    user_id  UUID NOT NULL REFERENCES users (id),
    PRIMARY KEY (deal_id, user_id)
);
CREATE INDEX deal_owners_user ON deal_owners (user_id, deal_id);

CREATE TABLE deal_items (
    id                UUID PRIMARY KEY,
    deal_id           UUID NOT NULL REFERENCES deals (id),
    position          INTEGER NOT NULL,
    product_id        UUID,
    name              TEXT NOT NULL,
    quantity          TEXT NOT NULL,
    unit              TEXT,
    unit_price_minor  BIGINT NOT NULL,
    discount_pct      TEXT NOT NULL,
    tax_pct           TEXT NOT NULL,
    line_total_minor  BIGINT NOT NULL,
    tax_minor         BIGINT NOT NULL
);
CREATE INDEX deal_items_deal ON deal_items (deal_id, position);

CREATE TABLE deal_payments (
    id            UUID PRIMARY KEY,
    deal_id       UUID NOT NULL REFERENCES deals (id),
    kind          TEXT NOT NULL CHECK (kind IN ('planned', 'actual')),
    date          DATE NOT NULL,
    amount_minor  BIGINT NOT NULL,
    note          TEXT,
    invoice_id    UUID,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    UUID
);
CREATE INDEX deal_payments_deal ON deal_payments (deal_id, date);

CREATE TABLE deal_stage_history (
    id              UUID PRIMARY KEY,
    deal_id         UUID NOT NULL REFERENCES deals (id),
    from_stage_id   UUID REFERENCES stages (id),
    to_stage_id     UUID NOT NULL REFERENCES stages (id),
    entered_at      TIMESTAMPTZ NOT NULL,
    left_at         TIMESTAMPTZ,
    moved_by        UUID,
    moved_by_name   TEXT NOT NULL
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (deal_id, entered_at);

-- Domain events for automation to consume (processed_at set by the consumer).
CREATE TABLE deal_events (
    id            UUID PRIMARY KEY,
    deal_id       UUID NOT NULL,
    kind          TEXT NOT NULL,
    payload       JSONB NOT NULL,
    actor_id      UUID,
    at            TIMESTAMPTZ NOT NULL,
    processed_at  TIMESTAMPTZ
);
CREATE INDEX deal_events_pending ON deal_events (processed_at, at, id);

-- The demo pipeline, so that a new installation has a funnel to work with.
INSERT INTO pipelines (id, version, name, position, archived, created_at, updated_at)
VALUES ('00000000-0000-7000-8000-000000000001', 1, 'Sales', 0, FALSE,
        now(), now());
INSERT INTO stages (id, pipeline_id, name, position, probability, time_limit_days, colour, kind, created_at, updated_at)
VALUES
 ('00000000-0000-7000-8000-000000000011', '00000000-0000-7000-8000-000000000001', 'Qualification', 0, 10, NULL, '#8fa8c8', 'open', now(), now()),
 ('00000000-0000-7000-8000-000000000012', '00000000-0000-7000-8000-000000000001', 'Needs analysis', 1, 30, NULL, '#6c9bd2', 'open', now(), now()),
 ('00000000-0000-7000-8000-000000000013', '00000000-0000-7000-8000-000000000001', 'Proposal', 2, 60, NULL, '#e0a84f', 'open', now(), now()),
 ('00000000-0000-7000-8000-000000000014', '00000000-0000-7000-8000-000000000001', 'Negotiation', 3, 80, NULL, '#d9804a', 'open', now(), now()),
 ('00000000-0000-7000-8000-000000000015', '00000000-0000-7000-8000-000000000001', 'Won', 4, 100, NULL, '#4caf50', 'won', now(), now()),
 ('00000000-0000-7000-8000-000000000016', '00000000-0000-7000-8000-000000000001', 'Lost', 5, 0, NULL, '#9e9e9e', 'lost', now(), now());
INSERT INTO loss_reasons (id, version, name, position, archived, created_at, updated_at)
VALUES
 ('00000000-0000-7000-8000-000000000021', 1, 'Price too high', 0, FALSE, now(), now()),
 ('00000000-0000-7000-8000-000000000022', 1, 'Chose a competitor', 1, FALSE, now(), now()),
 ('00000000-0000-7000-8000-000000000023', 1, 'No budget', 2, FALSE, now(), now()),
 ('00000000-0000-7000-8000-000000000024', 1, 'No response', 3, FALSE, now(), now());
