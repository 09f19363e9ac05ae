-- Quotes and invoices made from deals: a snapshot of the deal's lines, client and seller,
-- numbered per a pattern. The counters number them without gaps: the next value is taken
-- (row locked) in the same transaction as the document's insert, so a failed insert gives
-- its number back.

CREATE TABLE document_counters (
    kind        TEXT NOT NULL,
    period      TEXT NOT NULL,
    last_value  BIGINT NOT NULL,
    PRIMARY KEY (kind, period)
);

CREATE TABLE documents (
    id             UUID PRIMARY KEY,
    version        BIGINT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('quote', 'invoice')),
    number         TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'declined', 'paid', 'cancelled')),
    deal_id        UUID NOT NULL REFERENCES deals (id),
    quote_id       UUID REFERENCES documents (id),
    issue_date     DATE NOT NULL,
    due_date       DATE,
    currency       TEXT NOT NULL,
    language       TEXT NOT NULL,
    seller         JSONB NOT NULL,
    logo_file_id   UUID REFERENCES files (id),
    buyer          JSONB NOT NULL,
    items          JSONB NOT NULL,
    total_minor    BIGINT NOT NULL,
    paid_minor     BIGINT NOT NULL DEFAULT 0,
    payment_terms  TEXT,
    notes          TEXT,
    file_id        UUID REFERENCES files (id),
    file_version   BIGINT,
    sent_at        TIMESTAMPTZ,
    closed_at      TIMESTAMPTZ,
    created_by     UUID,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX documents_number ON documents (kind, number);
CREATE INDEX documents_list ON documents (kind, created_at, id);
CREATE INDEX documents_deal ON documents (deal_id, created_at);

-- Actual payments recorded against an invoice (the column came with 0004).
CREATE INDEX deal_payments_invoice ON deal_payments (invoice_id) WHERE invoice_id IS NOT NULL;
