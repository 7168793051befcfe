-- Publishing tools: accounts, API tokens, web sessions, login throttling, the audit log,
-- imports, ignored updates, and where each revision came from.

CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
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
    id            BIGSERIAL PRIMARY KEY,
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
    id       BIGSERIAL PRIMARY KEY,
    account  TEXT NOT NULL,
    address  TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

-- Every manual action: who, what, on which object, when, from where.
CREATE TABLE audit_log (
    id       BIGSERIAL PRIMARY KEY,
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
    id             BIGSERIAL PRIMARY KEY,
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
    errors         BIGINT NOT NULL,
    warnings       BIGINT NOT NULL,
    seen_at        BIGINT NOT NULL
);
CREATE INDEX article_findings_page ON article_findings (page_id);

-- fetch-now: at most one request per page every few seconds, across daemons.
ALTER TABLE pages ADD COLUMN fetch_requested_at BIGINT;

-- Revisions say where they came from; only feed revisions have a run.
ALTER TABLE article_revisions ADD COLUMN source TEXT NOT NULL DEFAULT 'feed'
    CHECK (source IN ('feed', 'import', 'manual', 'restore'));
ALTER TABLE article_revisions ADD COLUMN author TEXT;
ALTER TABLE article_revisions ALTER COLUMN run_id DROP NOT NULL;

-- Article lists read newest change first with a keyset cursor on (updated_at,
-- canonical_url), of all a page's articles or of one status: both are index scans that stop
-- after one screen, however many articles the page has. The title rides along so that a
-- search of titles and URLs reads the index alone until it finds a screen's worth.
DROP INDEX articles_page;
CREATE INDEX articles_page ON articles (page_id, updated_at, canonical_url, title);
CREATE INDEX articles_page_status ON articles (page_id, status, updated_at, canonical_url, title);
