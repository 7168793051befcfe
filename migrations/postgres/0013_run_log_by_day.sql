-- The run log, partitioned by day (UTC) of started_at: at 100,000 pages it takes tens of
-- millions of rows a day, more than deleting rows can keep up with; the retention drops a
-- whole day's partition instead. Days without a partition (older than the partitions kept,
-- or not created yet) land in feed_runs_default, which is still pruned row by row. The
-- store creates each day's partition a week ahead (`Store::ensure_run_partitions`).
ALTER TABLE feed_runs RENAME TO feed_runs_unpartitioned;
ALTER INDEX feed_runs_pkey RENAME TO feed_runs_unpartitioned_pkey;
ALTER INDEX feed_runs_page RENAME TO feed_runs_unpartitioned_page;
ALTER INDEX feed_runs_started RENAME TO feed_runs_unpartitioned_started;
ALTER INDEX feed_runs_page_feed RENAME TO feed_runs_unpartitioned_page_feed;

CREATE TABLE feed_runs (
    id           BIGINT NOT NULL DEFAULT nextval('feed_runs_id_seq'),
    page_id      TEXT NOT NULL,
    feed_url     TEXT NOT NULL,
    feed         TEXT NOT NULL CHECK (feed IN ('production', 'development')),
    outcome      TEXT NOT NULL,
    http_status  BIGINT,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT NOT NULL,
    bytes        BIGINT NOT NULL,
    items        BIGINT NOT NULL,
    inserted     BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    unchanged    BIGINT NOT NULL,
    ignored      BIGINT NOT NULL,
    rejected     BIGINT NOT NULL,
    error        TEXT,
    PRIMARY KEY (id, started_at)
) PARTITION BY RANGE (started_at);
ALTER SEQUENCE feed_runs_id_seq OWNED BY feed_runs.id;
CREATE INDEX feed_runs_page ON feed_runs (page_id, id);
CREATE INDEX feed_runs_page_feed ON feed_runs (page_id, feed, id);
CREATE INDEX feed_runs_started ON feed_runs (started_at);
CREATE TABLE feed_runs_default PARTITION OF feed_runs DEFAULT;

-- A partition for each day of the runs kept (at most the last 400 days) up to a week ahead.
DO $$
DECLARE
    day_ms CONSTANT BIGINT := 86400000;
    today BIGINT := (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT / day_ms * day_ms;
    first BIGINT;
    d BIGINT;
BEGIN
    first := GREATEST(
        COALESCE((SELECT MIN(started_at) FROM feed_runs_unpartitioned), today) / day_ms * day_ms,
        today - 400 * day_ms);
    d := first;
    WHILE d <= today + 7 * day_ms LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF feed_runs FOR VALUES FROM (%s) TO (%s)',
            'feed_runs_p' || to_char(to_timestamp(d / 1000) AT TIME ZONE 'UTC', 'YYYYMMDD'),
            d, d + day_ms);
        d := d + day_ms;
    END LOOP;
END $$;

INSERT INTO feed_runs SELECT * FROM feed_runs_unpartitioned;
DROP TABLE feed_runs_unpartitioned;
