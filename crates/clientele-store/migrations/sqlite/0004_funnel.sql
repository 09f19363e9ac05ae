-- Sales funnel: pipelines and their stages, loss reasons, currency rates, deals with their
-- co-owners, line items, payments and stage history, and deal events for later automation.
-- Money is exact: integer minor units (cents, kopecks; yen as they are) beside an ISO 4217
-- currency code. Decimal quantities, percentages and rates are kept as decimal text.

CREATE TABLE pipelines (
    id          BLOB PRIMARY KEY NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    archived    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE INDEX pipelines_position ON pipelines (position, id);

-- A removed stage keeps its row (deleted_at) so that stage history still names it.
CREATE TABLE stages (
    id               BLOB PRIMARY KEY NOT NULL,
    pipeline_id      BLOB NOT NULL REFERENCES pipelines (id),
    name             TEXT NOT NULL,
    position         INTEGER NOT NULL,
    probability      INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    time_limit_days  INTEGER,
    colour           TEXT,
    kind             TEXT NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE INDEX stages_pipeline ON stages (pipeline_id, position);
-- Exactly one won and one lost stage per pipeline (the service checks there is one of each).
CREATE UNIQUE INDEX stages_outcome ON stages (pipeline_id, kind) WHERE kind <> 'open' AND deleted_at IS NULL;

CREATE TABLE loss_reasons (
    id          BLOB PRIMARY KEY NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    archived    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- One unit of `currency` is worth `rate` units of `base` from `valid_from` on.
CREATE TABLE currency_rates (
    id          BLOB PRIMARY KEY NOT NULL,
    base        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    rate        TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX currency_rates_key ON currency_rates (base, currency, valid_from);

CREATE TABLE deals (
    id                   BLOB PRIMARY KEY NOT NULL,
    version              INTEGER NOT NULL,
    title                TEXT NOT NULL,
    sort_title           TEXT NOT NULL,
    pipeline_id          BLOB NOT NULL REFERENCES pipelines (id),
    stage_id             BLOB NOT NULL REFERENCES stages (id),
    status               TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    amount_minor         INTEGER NOT NULL,
    currency             TEXT NOT NULL,
    expected_close_date  TEXT,
    source               TEXT,
    contact_id           BLOB REFERENCES contacts (id),
    company_id           BLOB REFERENCES companies (id),
    owner_id             BLOB REFERENCES users (id),
    co_owners            TEXT NOT NULL,
    lead_id              BLOB,
    loss_reason_id       BLOB REFERENCES loss_reasons (id),
    loss_note            TEXT,
    notes                TEXT,
    custom_fields        TEXT NOT NULL,
    tags                 TEXT NOT NULL,
    stage_entered_at     TEXT NOT NULL,
    closed_at            TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    deleted_at           TEXT
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
    deal_id  BLOB NOT NULL REFERENCES deals (id),
    user_id  BLOB NOT NULL REFERENCES users (id),
    PRIMARY KEY (deal_id, user_id)
);
CREATE INDEX deal_owners_user ON deal_owners (user_id, deal_id);

CREATE TABLE deal_items (
    id                BLOB PRIMARY KEY NOT NULL,
    deal_id           BLOB NOT NULL REFERENCES deals (id),
    position          INTEGER NOT NULL,
    product_id        BLOB,
    name              TEXT NOT NULL,
    quantity          TEXT NOT NULL,
    unit              TEXT,
    unit_price_minor  INTEGER NOT NULL,
    discount_pct      TEXT NOT NULL,
    tax_pct           TEXT NOT NULL,
    line_total_minor  INTEGER NOT NULL,
    tax_minor         INTEGER NOT NULL
);
CREATE INDEX deal_items_deal ON deal_items (deal_id, position);

CREATE TABLE deal_payments (
    id            BLOB PRIMARY KEY NOT NULL,
    deal_id       BLOB NOT NULL REFERENCES deals (id),
    kind          TEXT NOT NULL CHECK (kind IN ('planned', 'actual')),
    date          TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL,
    note          TEXT,
    invoice_id    BLOB,
    created_at    TEXT NOT NULL,
    created_by    BLOB
);
CREATE INDEX deal_payments_deal ON deal_payments (deal_id, date);

CREATE TABLE deal_stage_history (
    id              BLOB PRIMARY KEY NOT NULL,
    deal_id         BLOB NOT NULL REFERENCES deals (id),
    from_stage_id   BLOB REFERENCES stages (id),
    to_stage_id     BLOB NOT NULL REFERENCES stages (id),
    entered_at      TEXT NOT NULL,
    left_at         TEXT,
    moved_by        BLOB,
    moved_by_name   TEXT NOT NULL
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (deal_id, entered_at);

-- Domain events for automation to consume (processed_at set by the consumer).
CREATE TABLE deal_events (
    id            BLOB PRIMARY KEY NOT NULL,
    deal_id       BLOB NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    actor_id      BLOB,
    at            TEXT NOT NULL,
    processed_at  TEXT
);
CREATE INDEX deal_events_pending ON deal_events (processed_at, at, id);

-- The demo pipeline, so that a new installation has a funnel to work with.
INSERT INTO pipelines (id, version, name, position, archived, created_at, updated_at)
VALUES (X'00000000000070008000000000000001', 1, 'Sales', 0, 0,
        strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'));
INSERT INTO stages (id, pipeline_id, name, position, probability, time_limit_days, colour, kind, created_at, updated_at)
VALUES
 (X'00000000000070008000000000000011', X'00000000000070008000000000000001', 'Qualification', 0, 10, NULL, '#8fa8c8', 'open', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
 (X'00000000000070008000000000000012', X'00000000000070008000000000000001', 'Needs analysis', 1, 30, NULL, '#6c9bd2', 'open', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
 (X'00000000000070008000000000000013', X'00000000000070008000000000000001', 'Proposal', 2, 60, NULL, '#e0a84f', 'open', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
 (X'00000000000070008000000000000014', X'00000000000070008000000000000001', 'Negotiation', 3, 80, NULL, '#d9804a', 'open', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
 (X'00000000000070008000000000000015', X'00000000000070008000000000000001', 'Won', 4, 100, NULL, '#4caf50', 'won', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
 (X'00000000000070008000000000000016', X'00000000000070008000000000000001', 'Lost', 5, 0, NULL, '#9e9e9e', 'lost', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'));
INSERT INTO loss_reasons (id, version, name, position, archived, created_at, updated_at)
VALUES
 (X'00000000000070008000000000000021', 1, 'Price too high', 0, 0, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
 (X'00000000000070008000000000000022', 1, 'Chose a competitor', 1, 0, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
 (X'00000000000070008000000000000023', 1, 'No budget', 2, 0, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
 (X'00000000000070008000000000000024', 1, 'No response', 3, 0, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'));
