-- Notifications (docs/api.md, Notifications): events decided where runs and manual writes
-- are committed, in the same transaction, and a durable queue of their deliveries to each
-- page's webhooks and to the e-mail addresses of its members.

-- A page's webhooks: each event of the page is POSTed to `url`, signed with `secret`.
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id     TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX webhooks_page ON webhooks (page_id);

-- One row per event, its JSON as every channel sends it (without its id, which is the row's).
CREATE TABLE notify_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id     TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    payload     TEXT NOT NULL
);
CREATE INDEX notify_events_page ON notify_events (page_id, created_at);
CREATE INDEX notify_events_created ON notify_events (created_at);

-- The delivery queue: one row per event and webhook ('webhook'), per event and member who
-- wants it at once ('email'), per member and day ('digest', `slot` the day's number).
-- Daemons claim pending rows that are due with a lease, like feeds.
CREATE TABLE deliveries (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    channel           TEXT NOT NULL CHECK (channel IN ('webhook', 'email', 'digest')),
    page_id           TEXT REFERENCES pages(id) ON DELETE CASCADE,
    event_id          BIGINT REFERENCES notify_events(id) ON DELETE CASCADE,
    webhook_id        BIGINT REFERENCES webhooks(id) ON DELETE CASCADE,
    user_id           BIGINT REFERENCES users(id) ON DELETE CASCADE,
    slot              BIGINT,
    state             TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'skipped')),
    attempts          BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    next_attempt_at   BIGINT NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  BIGINT,
    last_attempt_at   BIGINT,
    status            BIGINT,
    answer            TEXT,
    error             TEXT
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE UNIQUE INDEX deliveries_digest ON deliveries (user_id, slot) WHERE channel = 'digest';

-- Who wants a page's events by e-mail, and how.
CREATE TABLE email_prefs (
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    page_id  TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    mode     TEXT NOT NULL CHECK (mode IN ('immediate', 'digest')),
    PRIMARY KEY (user_id, page_id)
);
CREATE INDEX email_prefs_page ON email_prefs (page_id);

-- When each member was last sent an immediate e-mail of a page's event kind: at most one
-- an hour.
CREATE TABLE email_limits (
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    page_id  TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    sent_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, page_id, kind)
);
