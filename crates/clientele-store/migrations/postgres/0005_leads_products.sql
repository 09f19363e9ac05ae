-- Leads, the product catalogue and stock.
-- Leads: unqualified requests with where they came from (source, UTM fields); their phones
-- (E.164) and e-mails are copied into lead_points for filters and conversion matching.
-- Products: nested categories, price lists (one currency each, one default per currency),
-- prices per list in minor units, a cost price for the margin, and stock on hand.
-- Quantities of stock are exact decimals kept as scaled integers: millionths of a unit
-- (2.5 pcs = 2500000), so that sums are exact in SQL on both databases.

CREATE TABLE leads (
    id                    UUID PRIMARY KEY,
    version               BIGINT NOT NULL,
    name                  TEXT,
    company_name          TEXT,
    sort_name             TEXT NOT NULL,
    search_text           TEXT NOT NULL,
    phones                JSONB NOT NULL,
    emails                JSONB NOT NULL,
    source                TEXT,
    utm_source            TEXT,
    utm_medium            TEXT,
    utm_campaign          TEXT,
    utm_term              TEXT,
    utm_content           TEXT,
    referrer              TEXT,
    landing_page          TEXT,
    temperature           TEXT NOT NULL CHECK (temperature IN ('cold', 'warm', 'hot')),
    owner_id              UUID REFERENCES users (id),
    status                TEXT NOT NULL CHECK (status IN ('new', 'in_progress', 'qualified', 'disqualified', 'converted')),
    disqualify_reason     TEXT,
    notes                 TEXT,
    tags                  JSONB NOT NULL,
    custom_fields         JSONB NOT NULL,
    converted_at          TIMESTAMPTZ,
    converted_contact_id  UUID REFERENCES contacts (id),
    converted_company_id  UUID REFERENCES companies (id),
    converted_deal_id     UUID REFERENCES deals (id),
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    deleted_at            TIMESTAMPTZ
);
CREATE INDEX leads_updated ON leads (updated_at, id);
CREATE INDEX leads_created ON leads (created_at, id);
CREATE INDEX leads_name ON leads (sort_name, id);
CREATE INDEX leads_owner ON leads (owner_id, updated_at, id);
CREATE INDEX leads_status ON leads (status, updated_at, id);

CREATE TABLE lead_points (
    entity_id  UUID NOT NULL REFERENCES leads (id),
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL
);
CREATE INDEX lead_points_value ON lead_points (kind, value);
CREATE INDEX lead_points_entity ON lead_points (entity_id);

-- Deals converted from a lead point at it (the column came with 0004).
CREATE INDEX deals_lead ON deals (lead_id) WHERE lead_id IS NOT NULL;

CREATE TABLE product_categories (
    id          UUID PRIMARY KEY,
    version     BIGINT NOT NULL,
    name        TEXT NOT NULL,
    parent_id   UUID REFERENCES product_categories (id),
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX product_categories_parent ON product_categories (parent_id);

CREATE TABLE price_lists (
    id          UUID PRIMARY KEY,
    version     BIGINT NOT NULL,
    name        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
-- One default list per currency.
CREATE UNIQUE INDEX price_lists_default ON price_lists (currency) WHERE is_default;

CREATE TABLE products (
    id             UUID PRIMARY KEY,
    version        BIGINT NOT NULL,
    name           TEXT NOT NULL,
    sort_name      TEXT NOT NULL,
    sku            TEXT,
    unit           TEXT,
    description    TEXT,
    category_id    UUID REFERENCES product_categories (id),
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    cost_minor     BIGINT,
    cost_currency  TEXT,
    on_hand_micro  BIGINT NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    deleted_at     TIMESTAMPTZ
);
-- A SKU (upper-cased) belongs to one live product.
CREATE UNIQUE INDEX products_sku ON products (sku) WHERE sku IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX products_name ON products (sort_name, id);
CREATE INDEX products_updated ON products (updated_at, id);
CREATE INDEX products_created ON products (created_at, id);
CREATE INDEX products_category ON products (category_id, sort_name, id);

CREATE TABLE product_prices (
    product_id     UUID NOT NULL REFERENCES products (id),
    price_list_id  UUID NOT NULL REFERENCES price_lists (id),
    amount_minor   BIGINT NOT NULL,
    PRIMARY KEY (product_id, price_list_id)
);
CREATE INDEX product_prices_list ON product_prices (price_list_id);

-- Every change of stock on hand, with the balance after it. Won deals write `sale` rows
-- (negative); reopening or changing a won deal writes `sale` rows that give it back.
CREATE TABLE stock_movements (
    id               UUID PRIMARY KEY,
    product_id       UUID NOT NULL REFERENCES products (id),
    kind             TEXT NOT NULL CHECK (kind IN ('receipt', 'adjustment', 'reserve', 'release', 'sale')),
    quantity_micro   BIGINT NOT NULL,
    balance_micro    BIGINT NOT NULL,
    deal_id          UUID REFERENCES deals (id),
    created_by       UUID,
    created_by_name  TEXT NOT NULL,
    at               TIMESTAMPTZ NOT NULL,
    note             TEXT
);
CREATE INDEX stock_movements_product ON stock_movements (product_id, at, id);
CREATE INDEX stock_movements_deal ON stock_movements (deal_id) WHERE deal_id IS NOT NULL;
