-- Each feed's current items worth a publisher's look, as the feed's latest run that read it
-- found them: the items it rejected and those with warnings (rejected items are never
-- stored as articles, so this is where they are found), with their diagnostics, source
-- excerpts and, within bounds, the article's HTML. A run that finds the same items again
-- rewrites only the set's row.
CREATE TABLE feed_item_sets (
    page_id           TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('production', 'development')),
    run_id            BIGINT NOT NULL,
    checked_at        BIGINT NOT NULL,
    fingerprint       TEXT NOT NULL,
    rejected          BIGINT NOT NULL,
    warned            BIGINT NOT NULL,
    -- The run's feed-level diagnostics (JSON), warnings included.
    feed_diagnostics  TEXT NOT NULL,
    PRIMARY KEY (page_id, kind)
);

CREATE TABLE feed_items (
    page_id        TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('production', 'development')),
    item_index     BIGINT NOT NULL,
    verdict        TEXT NOT NULL CHECK (verdict IN ('rejected', 'warned')),
    action         TEXT NOT NULL,
    canonical_url  TEXT,
    guid           TEXT,
    link           TEXT,
    title          TEXT,
    op_modified    BIGINT,
    line           BIGINT NOT NULL,
    -- Its diagnostics with their excerpts (JSON).
    diagnostics    TEXT NOT NULL,
    -- The article's HTML as the feed carried it, when within the bounds.
    html           TEXT,
    PRIMARY KEY (page_id, kind, item_index)
);
CREATE INDEX feed_items_article ON feed_items (canonical_url);
