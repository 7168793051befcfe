-- Publishing tools: accounts, API tokens, web sessions, login throttling, the audit log,
-- imports, ignored updates, and where each revision came from.

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Lower-cased: logins compare e-mail addresses case-insensitively.
    email          TEXT NOT NULL UNIQUE,
    -- argon2id, PHC string format.
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('operator', 'publisher')),
    created_at     BIGINT NOT NULL
);

CREATE TABLE user_pages (
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    page_id  TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, page_id)
);
CREATE INDEX user_pages_page ON user_pages (page_id);

-- Only a SHA-256 of each token is kept: a token is shown once, at creation.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    expires_at    BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Web sessions: the cookie carries the id and a secret; only the secret's SHA-256 is kept.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    secret_hash   TEXT NOT NULL,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    form_token    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    address       TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins, by account (lower-cased e-mail as typed) and by address.
CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    account  TEXT NOT NULL,
    address  TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

-- Every manual action: who, what, on which object, when, from where.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    object   TEXT,
    page_id  TEXT,
    address  TEXT,
    detail   TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

-- The answer of each import, for `GET /imports/{id}`.
CREATE TABLE imports (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id        TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    canonical_url  TEXT,
    actor          TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    result         TEXT NOT NULL
);

-- The latest incoming version per article that an update rule refused.
CREATE TABLE ignored_updates (
    canonical_url  TEXT PRIMARY KEY REFERENCES articles(canonical_url) ON DELETE CASCADE,
    page_id        TEXT NOT NULL,
    rule           TEXT NOT NULL,
    message        TEXT NOT NULL,
    op_modified    BIGINT,
    run_id         BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    -- A run that is refused the same version again writes nothing: the hash tells it.
    content_hash   TEXT NOT NULL,
    html           TEXT NOT NULL
);
CREATE INDEX ignored_updates_page ON ignored_updates (page_id);

-- Errors and warnings of the last version seen of each stored article (a feed item,
-- rejected or not, an import or an edit), apart from `articles` so that lists and counts
-- never read past the article's text.
CREATE TABLE article_findings (
    canonical_url  TEXT PRIMARY KEY REFERENCES articles(canonical_url) ON DELETE CASCADE,
    page_id        TEXT NOT NULL,
    errors         INTEGER NOT NULL,
    warnings       INTEGER NOT NULL,
    seen_at        BIGINT NOT NULL
);
CREATE INDEX article_findings_page ON article_findings (page_id);

-- fetch-now: at most one request per page every few seconds, across daemons.
ALTER TABLE pages ADD COLUMN fetch_requested_at BIGINT;

-- Revisions say where they came from; only feed revisions have a run.
CREATE TABLE article_revisions_v4 (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    canonical_url  TEXT NOT NULL REFERENCES articles(canonical_url) ON DELETE CASCADE,
    revision       INTEGER NOT NULL,
    source         TEXT NOT NULL DEFAULT 'feed' CHECK (source IN ('feed', 'import', 'manual', 'restore')),
    run_id         BIGINT,
    author         TEXT,
    status         TEXT NOT NULL,
    op_modified    BIGINT,
    html           TEXT,
    created_at     BIGINT NOT NULL
);
INSERT INTO article_revisions_v4 (id, canonical_url, revision, source, run_id, status, op_modified, html, created_at)
    SELECT id, canonical_url, revision, 'feed', run_id, status, op_modified, html, created_at FROM article_revisions;
DROP TABLE article_revisions;
ALTER TABLE article_revisions_v4 RENAME TO article_revisions;
CREATE INDEX article_revisions_article ON article_revisions (canonical_url, revision);

-- Article lists read newest change first with a keyset cursor on (updated_at,
-- canonical_url), of all a page's articles or of one status: both are index scans that stop
-- after one screen, however many articles the page has. The title rides along so that a
-- search of titles and URLs reads the index alone until it finds a screen's worth.
DROP INDEX articles_page;
CREATE INDEX articles_page ON articles (page_id, updated_at, canonical_url, title);
CREATE INDEX articles_page_status ON articles (page_id, status, updated_at, canonical_url, title);
