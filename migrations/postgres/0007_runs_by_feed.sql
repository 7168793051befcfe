-- Each feed's newest run, read for every page a list shows: one index step per feed
-- instead of a walk back through the page's runs of both feeds.
CREATE INDEX feed_runs_page_feed ON feed_runs (page_id, feed, id);
