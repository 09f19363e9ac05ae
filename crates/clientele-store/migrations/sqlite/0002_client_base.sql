-- Client base: companies, contacts, contact persons, contact points (phones, e-mails),
-- tags, custom field definitions, saved views, search index, notifications.
-- Structured values (phones, e-mails, address, dates, custom fields) live as JSON text in
-- the record; what must be found fast is copied into index tables in the same transaction.

CREATE TABLE companies (
    id                 BLOB PRIMARY KEY NOT NULL,
    version            INTEGER NOT NULL,
    name               TEXT NOT NULL,
    legal_name         TEXT,
    tax_number         TEXT,
    website            TEXT,
    industry           TEXT,
    source             TEXT,
    lifecycle          TEXT NOT NULL,
    phones             TEXT NOT NULL,
    emails             TEXT NOT NULL,
    address            TEXT,
    important_dates    TEXT NOT NULL,
    notes              TEXT,
    owner_id           BLOB REFERENCES users (id),
    tags               TEXT NOT NULL,
    custom_fields      TEXT NOT NULL,
    last_contacted_at  TEXT,
    sort_name          TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    deleted_at         TEXT,
    merged_into        BLOB
);
CREATE INDEX companies_updated ON companies (updated_at, id);
CREATE INDEX companies_name ON companies (sort_name, id);
CREATE INDEX companies_owner ON companies (owner_id, updated_at, id);
CREATE INDEX companies_owner_name ON companies (owner_id, sort_name, id);
CREATE INDEX companies_tax ON companies (tax_number);

CREATE TABLE contacts (
    id                 BLOB PRIMARY KEY NOT NULL,
    version            INTEGER NOT NULL,
    first_name         TEXT,
    last_name          TEXT,
    display_name       TEXT NOT NULL,
    title              TEXT,
    company_id         BLOB REFERENCES companies (id),
    source             TEXT,
    lifecycle          TEXT NOT NULL,
    phones             TEXT NOT NULL,
    emails             TEXT NOT NULL,
    address            TEXT,
    important_dates    TEXT NOT NULL,
    birthday_md        TEXT,
    notes              TEXT,
    owner_id           BLOB REFERENCES users (id),
    tags               TEXT NOT NULL,
    custom_fields      TEXT NOT NULL,
    last_contacted_at  TEXT,
    sort_name          TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    deleted_at         TEXT,
    merged_into        BLOB
);
CREATE INDEX contacts_updated ON contacts (updated_at, id);
CREATE INDEX contacts_name ON contacts (sort_name, id);
CREATE INDEX contacts_created ON contacts (created_at, id);
CREATE INDEX contacts_owner ON contacts (owner_id, updated_at, id);
CREATE INDEX contacts_owner_name ON contacts (owner_id, sort_name, id);
CREATE INDEX contacts_owner_created ON contacts (owner_id, created_at, id);
CREATE INDEX contacts_company ON contacts (company_id);
CREATE INDEX contacts_last_contacted ON contacts (last_contacted_at, id);

-- A person's roles in companies ("contact persons"); one link may be the primary one.
CREATE TABLE company_contacts (
    company_id  BLOB NOT NULL REFERENCES companies (id),
    contact_id  BLOB NOT NULL REFERENCES contacts (id),
    role        TEXT,
    is_primary  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (company_id, contact_id)
);
CREATE INDEX company_contacts_contact ON company_contacts (contact_id);

-- Normalised phones (E.164 and reversed digits) and e-mails, for duplicate checks and search.
CREATE TABLE contact_points (
    entity_type  TEXT NOT NULL,
    entity_id    BLOB NOT NULL,
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    rev_digits   TEXT
);
CREATE INDEX contact_points_value ON contact_points (kind, value);
CREATE INDEX contact_points_rev ON contact_points (rev_digits) WHERE rev_digits IS NOT NULL;
CREATE INDEX contact_points_entity ON contact_points (entity_id);

CREATE TABLE record_tags (
    entity_type  TEXT NOT NULL,
    entity_id    BLOB NOT NULL,
    tag          TEXT NOT NULL,
    PRIMARY KEY (entity_id, tag)
);
CREATE INDEX record_tags_tag ON record_tags (entity_type, tag);

CREATE TABLE custom_fields (
    id          BLOB PRIMARY KEY NOT NULL,
    version     INTEGER NOT NULL,
    entity      TEXT NOT NULL,
    key         TEXT NOT NULL,
    label       TEXT NOT NULL,
    field_type  TEXT NOT NULL,
    options     TEXT NOT NULL,
    required    INTEGER NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX custom_fields_key ON custom_fields (entity, key);

CREATE TABLE saved_views (
    id          BLOB PRIMARY KEY NOT NULL,
    version     INTEGER NOT NULL,
    entity      TEXT NOT NULL,
    name        TEXT NOT NULL,
    owner_id    BLOB NOT NULL REFERENCES users (id),
    shared      INTEGER NOT NULL DEFAULT 0,
    definition  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views (entity, owner_id);

-- Full-text search over names, e-mails, company names and tax numbers, folded to lower case
-- without accents (the folding happens in Rust, the same for both databases). One index per
-- record type, so that searching companies never wades through people.
CREATE VIRTUAL TABLE search_contacts USING fts5 (
    entity_id UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4 5'
);
CREATE VIRTUAL TABLE search_companies USING fts5 (
    entity_id UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4 5'
);
-- FTS5 rows are addressed by rowid; this maps each record to its row, so that updating a
-- record's index entry is a lookup, not a scan.
CREATE TABLE search_rows (
    entity_id  BLOB PRIMARY KEY NOT NULL,
    rid        INTEGER NOT NULL
);
-- Row ids repeat across the two full-text tables; joins also match on the record table.
CREATE INDEX search_rows_rid ON search_rows (rid);

CREATE TABLE notifications (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT,
    link        TEXT,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
