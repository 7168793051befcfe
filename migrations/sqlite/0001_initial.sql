-- Pages, their feeds and scheduling state, articles and revisions, runs and the warnings
-- log. Times are milliseconds since the Unix epoch, UTC.

CREATE TABLE pages (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    domain        TEXT NOT NULL UNIQUE,
    feed_url      TEXT,
    dev_feed_url  TEXT,
    enabled       BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL
);

-- One row per (page, production|development): where the feed is, its validators and the
-- daemon's scheduling state.
CREATE TABLE feeds (
    page_id               TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    kind                  TEXT NOT NULL CHECK (kind IN ('production', 'development')),
    url                   TEXT NOT NULL,
    etag                  TEXT,
    last_modified         TEXT,
    next_due_at           BIGINT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    last_outcome          TEXT,
    last_error            TEXT,
    last_run_id           BIGINT,
    lease_owner           TEXT,
    lease_expires_at      BIGINT,
    PRIMARY KEY (page_id, kind)
);
CREATE INDEX feeds_due ON feeds (next_due_at);

CREATE TABLE articles (
    canonical_url      TEXT PRIMARY KEY,
    page_id            TEXT NOT NULL REFERENCES pages(id),
    status             TEXT NOT NULL CHECK (status IN ('live', 'draft')),
    title              TEXT,
    op_published       BIGINT,
    op_modified        BIGINT,
    content_hash       TEXT NOT NULL,
    guid               TEXT,
    item_link          TEXT,
    revision           INTEGER NOT NULL,
    first_ingested_at  BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    -- Last, so reading the small columns never walks the text's overflow pages.
    html               TEXT NOT NULL
);
CREATE INDEX articles_page ON articles (page_id, updated_at);

CREATE TABLE article_revisions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    canonical_url  TEXT NOT NULL REFERENCES articles(canonical_url) ON DELETE CASCADE,
    revision       INTEGER NOT NULL,
    run_id         BIGINT NOT NULL,
    status         TEXT NOT NULL,
    op_modified    BIGINT,
    -- The version's HTML once a later version superseded it; the current version's text
    -- is in articles.html (NULL here), so every accepted version is stored exactly once.
    html           TEXT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX article_revisions_article ON article_revisions (canonical_url, revision);

CREATE TABLE feed_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id      TEXT NOT NULL,
    feed_url     TEXT NOT NULL,
    feed         TEXT NOT NULL CHECK (feed IN ('production', 'development')),
    outcome      TEXT NOT NULL,
    http_status  INTEGER,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT NOT NULL,
    bytes        BIGINT NOT NULL,
    items        INTEGER NOT NULL,
    inserted     INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL,
    ignored      INTEGER NOT NULL,
    rejected     INTEGER NOT NULL,
    error        TEXT
);
CREATE INDEX feed_runs_page ON feed_runs (page_id, id);

-- The warnings log. A diagnostic that recurs for the same page, article, rule and message
-- is counted (occurrences, last_run_id, last_seen_at), not stored again.
CREATE TABLE diagnostics (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id         BIGINT NOT NULL,
    last_run_id    BIGINT NOT NULL,
    page_id        TEXT NOT NULL,
    canonical_url  TEXT,
    rule           TEXT NOT NULL,
    severity       TEXT NOT NULL,
    message        TEXT NOT NULL,
    line           INTEGER,
    col            INTEGER,
    dedup_key      TEXT NOT NULL,
    occurrences    INTEGER NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL
);
-- Recurrence updates touch no indexed column: a run that repeats its warnings rewrites
-- rows, not index entries.
CREATE UNIQUE INDEX diagnostics_dedup ON diagnostics (dedup_key);
CREATE INDEX diagnostics_page ON diagnostics (page_id);
CREATE INDEX diagnostics_article ON diagnostics (canonical_url);
