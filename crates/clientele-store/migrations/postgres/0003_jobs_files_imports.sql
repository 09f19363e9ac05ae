-- Background jobs, stored files, imports and exports.

-- The durable job queue: every piece of background work is a row here. A worker claims a
-- due job by setting its lease (locked_by, locked_until); a job whose lease ran out is
-- claimed again (its worker died), and its handler resumes from what it had committed.
CREATE TABLE jobs (
    id            UUID PRIMARY KEY,
    kind          TEXT NOT NULL,
    payload       JSONB NOT NULL,
    status        TEXT NOT NULL,
    run_at        TIMESTAMPTZ NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    max_attempts  BIGINT NOT NULL,
    locked_by     TEXT,
    locked_until  TIMESTAMPTZ,
    last_error    TEXT,
    dedupe_key    TEXT,
    created_by    UUID,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL;

-- Files kept in the database (uploads, exports, reports), in chunks so that neither
-- writing nor reading one ever holds it whole in memory; every app node sees them.
CREATE TABLE files (
    id            UUID PRIMARY KEY,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL DEFAULT 0,
    sha256        TEXT,
    complete      BOOLEAN NOT NULL DEFAULT FALSE,
    created_by    UUID,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE TABLE file_chunks (
    file_id  UUID NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    seq      BIGINT NOT NULL,
    data     BYTEA NOT NULL,
    PRIMARY KEY (file_id, seq)
);

CREATE TABLE imports (
    id            UUID PRIMARY KEY,
    version       BIGINT NOT NULL,
    created_by    UUID NOT NULL REFERENCES users (id),
    entity        TEXT NOT NULL,
    file_id       UUID NOT NULL REFERENCES files (id),
    file_name     TEXT NOT NULL,
    status        TEXT NOT NULL,
    settings      JSONB NOT NULL,
    analysis      JSONB NOT NULL,
    rows_total    BIGINT NOT NULL DEFAULT 0,
    rows_done     BIGINT NOT NULL DEFAULT 0,
    created       BIGINT NOT NULL DEFAULT 0,
    updated       BIGINT NOT NULL DEFAULT 0,
    skipped       BIGINT NOT NULL DEFAULT 0,
    rejected      BIGINT NOT NULL DEFAULT 0,
    dry_run       BOOLEAN NOT NULL DEFAULT FALSE,
    error         TEXT,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX imports_created ON imports (created_at, id);

-- Rows an import refused, with every reason: the import's report.
CREATE TABLE import_rejects (
    import_id   UUID NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_number  BIGINT NOT NULL,
    errors      JSONB NOT NULL,
    cells       JSONB NOT NULL,
    PRIMARY KEY (import_id, row_number)
);

-- What an import did to each record, so that it can be undone: records it created, and
-- the state before of records it updated.
CREATE TABLE import_changes (
    import_id    UUID NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    entity_type  TEXT NOT NULL,
    entity_id    UUID NOT NULL,
    action       TEXT NOT NULL,
    before       JSONB,
    version      BIGINT NOT NULL,
    PRIMARY KEY (import_id, entity_type, entity_id)
);

CREATE TABLE import_presets (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    entity      TEXT NOT NULL,
    definition  JSONB NOT NULL,
    created_by  UUID NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE exports (
    id           UUID PRIMARY KEY,
    created_by   UUID NOT NULL REFERENCES users (id),
    entity       TEXT NOT NULL,
    format       TEXT NOT NULL,
    request      JSONB NOT NULL,
    status       TEXT NOT NULL,
    rows_done    BIGINT NOT NULL DEFAULT 0,
    file_id      UUID REFERENCES files (id),
    error        TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX exports_created ON exports (created_by, created_at);
