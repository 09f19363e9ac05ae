-- Background jobs, stored files, imports and exports.

-- The durable job queue: every piece of background work is a row here. A worker claims a
-- due job by setting its lease (locked_by, locked_until); a job whose lease ran out is
-- claimed again (its worker died), and its handler resumes from what it had committed.
CREATE TABLE jobs (
    id            BLOB PRIMARY KEY NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL,
    run_at        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    locked_by     TEXT,
    locked_until  TEXT,
    last_error    TEXT,
    dedupe_key    TEXT,
    created_by    BLOB,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    finished_at   TEXT
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL;

-- Files kept in the database (uploads, exports, reports), in chunks so that neither
-- writing nor reading one ever holds it whole in memory; every app node sees them.
CREATE TABLE files (
    id            BLOB PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL DEFAULT 0,
    sha256        TEXT,
    complete      INTEGER NOT NULL DEFAULT 0,
    created_by    BLOB,
    created_at    TEXT NOT NULL
);
CREATE TABLE file_chunks (
    file_id  BLOB NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (file_id, seq)
);

CREATE TABLE imports (
    id            BLOB PRIMARY KEY NOT NULL,
    version       INTEGER NOT NULL,
    created_by    BLOB NOT NULL REFERENCES users (id),
    entity        TEXT NOT NULL,
    file_id       BLOB NOT NULL REFERENCES files (id),
    file_name     TEXT NOT NULL,
    status        TEXT NOT NULL,
    settings      TEXT NOT NULL,
    analysis      TEXT NOT NULL,
    rows_total    INTEGER NOT NULL DEFAULT 0,
    rows_done     INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    dry_run       INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    started_at    TEXT,
    finished_at   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX imports_created ON imports (created_at, id);

-- Rows an import refused, with every reason: the import's report.
CREATE TABLE import_rejects (
    import_id   BLOB NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_number  INTEGER NOT NULL,
    errors      TEXT NOT NULL,
    cells       TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number)
);

-- What an import did to each record, so that it can be undone: records it created, and
-- the state before of records it updated.
CREATE TABLE import_changes (
    import_id    BLOB NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    entity_type  TEXT NOT NULL,
    entity_id    BLOB NOT NULL,
    action       TEXT NOT NULL,
    before       TEXT,
    version      INTEGER NOT NULL,
    PRIMARY KEY (import_id, entity_type, entity_id)
);

CREATE TABLE import_presets (
    id          BLOB PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    entity      TEXT NOT NULL,
    definition  TEXT NOT NULL,
    created_by  BLOB NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL
);

CREATE TABLE exports (
    id           BLOB PRIMARY KEY NOT NULL,
    created_by   BLOB NOT NULL REFERENCES users (id),
    entity       TEXT NOT NULL,
    format       TEXT NOT NULL,
    request      TEXT NOT NULL,
    status       TEXT NOT NULL,
    rows_done    INTEGER NOT NULL DEFAULT 0,
    file_id      BLOB REFERENCES files (id),
    error        TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX exports_created ON exports (created_by, created_at);

-- Full-text indexes merge their segments less eagerly (16 instead of 4 at a time): imports
-- and bulk loads write 10 % faster; searches, far inside their budget, do not notice.
INSERT INTO search_contacts (search_contacts, rank) VALUES ('automerge', 16);
INSERT INTO search_companies (search_companies, rank) VALUES ('automerge', 16);
