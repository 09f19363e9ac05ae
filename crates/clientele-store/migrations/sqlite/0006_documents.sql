-- Quotes and invoices made from deals: a snapshot of the deal's lines, client and seller,
-- numbered per a pattern. The counters number them without gaps: the next value is taken
-- (row locked) in the same transaction as the document's insert, so a failed insert gives
-- its number back.

CREATE TABLE document_counters (
    kind        TEXT NOT NULL,
    period      TEXT NOT NULL,
    last_value  INTEGER NOT NULL,
    PRIMARY KEY (kind, period)
);

CREATE TABLE documents (
    id             BLOB PRIMARY KEY NOT NULL,
    version        INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('quote', 'invoice')),
    number         TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'declined', 'paid', 'cancelled')),
    deal_id        BLOB NOT NULL REFERENCES deals (id),
    quote_id       BLOB REFERENCES documents (id),
    issue_date     TEXT NOT NULL,
    due_date       TEXT,
    currency       TEXT NOT NULL,
    language       TEXT NOT NULL,
    seller         TEXT NOT NULL,
    logo_file_id   BLOB REFERENCES files (id),
    buyer          TEXT NOT NULL,
    items          TEXT NOT NULL,
    total_minor    INTEGER NOT NULL,
    paid_minor     INTEGER NOT NULL DEFAULT 0,
    payment_terms  TEXT,
    notes          TEXT,
    file_id        BLOB REFERENCES files (id),
    file_version   INTEGER,
    sent_at        TEXT,
    closed_at      TEXT,
    created_by     BLOB,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX documents_number ON documents (kind, number);
CREATE INDEX documents_list ON documents (kind, created_at, id);
CREATE INDEX documents_deal ON documents (deal_id, created_at);

-- Actual payments recorded against an invoice (the column came with 0004).
CREATE INDEX deal_payments_invoice ON deal_payments (invoice_id) WHERE invoice_id IS NOT NULL;
