-- Idempotency keys of imports: an import sent again with the same key (by the same user)
-- answers what the first one did instead of importing twice. Kept for 24 hours.
CREATE TABLE import_keys (
    actor         TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    import_id     BIGINT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (actor, idem_key)
);
CREATE INDEX import_keys_created ON import_keys (created_at);
