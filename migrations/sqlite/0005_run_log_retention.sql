-- Runs older than the retention are pruned, a batch at a time, oldest first: the index
-- finds them without reading the whole run log.
CREATE INDEX feed_runs_started ON feed_runs (started_at);
