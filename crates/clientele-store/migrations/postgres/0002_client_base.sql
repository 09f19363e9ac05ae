-- Client base: companies, contacts, contact persons, contact points (phones, e-mails),
-- tags, custom field definitions, saved views, search index, notifications.
-- Structured values (phones, e-mails, address, dates, custom fields) live as JSON in the
-- record; what must be found fast is copied into index tables in the same transaction.

CREATE TABLE companies (
    id                 UUID PRIMARY KEY,
    version            BIGINT NOT NULL,
    name               TEXT NOT NULL,
    legal_name         TEXT,
    tax_number         TEXT,
    website            TEXT,
    industry           TEXT,
    source             TEXT,
    lifecycle          TEXT NOT NULL,
    phones             JSONB NOT NULL,
    emails             JSONB NOT NULL,
    address            JSONB,
    important_dates    JSONB NOT NULL,
    notes              TEXT,
    owner_id           UUID REFERENCES users (id),
    tags               JSONB NOT NULL,
    custom_fields      JSONB NOT NULL,
    last_contacted_at  TIMESTAMPTZ,
    sort_name          TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    deleted_at         TIMESTAMPTZ,
    merged_into        UUID
);
CREATE INDEX companies_updated ON companies (updated_at, id);
CREATE INDEX companies_name ON companies (sort_name, id);
CREATE INDEX companies_name_prefix ON companies (sort_name text_pattern_ops);
CREATE INDEX companies_owner ON companies (owner_id, updated_at, id);
CREATE INDEX companies_owner_name ON companies (owner_id, sort_name, id);
CREATE INDEX companies_tax ON companies (tax_number);

CREATE TABLE contacts (
    id                 UUID PRIMARY KEY,
    version            BIGINT NOT NULL,
    first_name         TEXT,
    last_name          TEXT,
    display_name       TEXT NOT NULL,
    title              TEXT,
    company_id         UUID REFERENCES companies (id),
    source             TEXT,
    lifecycle          TEXT NOT NULL,
    phones             JSONB NOT NULL,
    emails             JSONB NOT NULL,
    address            JSONB,
    important_dates    JSONB NOT NULL,
    birthday_md        TEXT,
    notes              TEXT,
    owner_id           UUID REFERENCES users (id),
    tags               JSONB NOT NULL,
    custom_fields      JSONB NOT NULL,
    last_contacted_at  TIMESTAMPTZ,
    sort_name          TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    deleted_at         TIMESTAMPTZ,
    merged_into        UUID
);
CREATE INDEX contacts_updated ON contacts (updated_at, id);
CREATE INDEX contacts_name ON contacts (sort_name, id);
CREATE INDEX contacts_name_prefix ON contacts (sort_name text_pattern_ops);
CREATE INDEX contacts_created ON contacts (created_at, id);
CREATE INDEX contacts_owner ON contacts (owner_id, updated_at, id);
CREATE INDEX contacts_owner_name ON contacts (owner_id, sort_name, id);
CREATE INDEX contacts_owner_created ON contacts (owner_id, created_at, id);
CREATE INDEX contacts_company ON contacts (company_id);
CREATE INDEX contacts_last_contacted ON contacts (last_contacted_at, id);

CREATE TABLE company_contacts (
    company_id  UUID NOT NULL REFERENCES companies (id),
    contact_id  UUID NOT NULL REFERENCES contacts (id),
    role        TEXT,
    is_primary  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, contact_id)
);
CREATE INDEX company_contacts_contact ON company_contacts (contact_id);

CREATE TABLE contact_points (
    entity_type  TEXT NOT NULL,
    entity_id    UUID NOT NULL,
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    rev_digits   TEXT
);
CREATE INDEX contact_points_value ON contact_points (kind, value);
CREATE INDEX contact_points_rev ON contact_points (rev_digits text_pattern_ops) WHERE rev_digits IS NOT NULL;
CREATE INDEX contact_points_entity ON contact_points (entity_id);

CREATE TABLE record_tags (
    entity_type  TEXT NOT NULL,
    entity_id    UUID NOT NULL,
    tag          TEXT NOT NULL,
    PRIMARY KEY (entity_id, tag)
);
CREATE INDEX record_tags_tag ON record_tags (entity_type, tag);

CREATE TABLE custom_fields (
    id          UUID PRIMARY KEY,
    version     BIGINT NOT NULL,
    entity      TEXT NOT NULL,
    key         TEXT NOT NULL,
    label       TEXT NOT NULL,
    field_type  TEXT NOT NULL,
    options     JSONB NOT NULL,
    required    BOOLEAN NOT NULL DEFAULT FALSE,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX custom_fields_key ON custom_fields (entity, key);

CREATE TABLE saved_views (
    id          UUID PRIMARY KEY,
    version     BIGINT NOT NULL,
    entity      TEXT NOT NULL,
    name        TEXT NOT NULL,
    owner_id    UUID NOT NULL REFERENCES users (id),
    shared      BOOLEAN NOT NULL DEFAULT FALSE,
    definition  JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views (entity, owner_id);

-- Full-text search: the same folded text as on SQLite, indexed as a 'simple' tsvector
-- (no stemming, no extension needed), queried with prefix terms. One table per record type.
CREATE TABLE search_contacts (
    entity_id  UUID PRIMARY KEY,
    body       TEXT NOT NULL,
    tsv        TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);
CREATE INDEX search_contacts_tsv ON search_contacts USING GIN (tsv);
CREATE TABLE search_companies (
    entity_id  UUID PRIMARY KEY,
    body       TEXT NOT NULL,
    tsv        TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);
CREATE INDEX search_companies_tsv ON search_companies USING GIN (tsv);

CREATE TABLE notifications (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT,
    link        TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    read_at     TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, id);
