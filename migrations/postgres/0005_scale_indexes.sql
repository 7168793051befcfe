-- Runs older than the retention are pruned, a batch at a time, oldest first: the index
-- finds them without reading the whole run log.
CREATE INDEX feed_runs_started ON feed_runs (started_at);

-- The dashboard's "only feeds with errors" reads the few failing feeds from here instead
-- of every page's feeds.
CREATE INDEX feeds_failing ON feeds (page_id)
    WHERE consecutive_failures > 0 OR last_error IS NOT NULL;
