-- Every commit of a run's results bumps its page's sequence number, and only if it still
-- has the value the run read before looking up the stored articles: a run that finds
-- another run of the page committed meanwhile plans again instead of writing from a stale
-- view (two runs of one page end as if committed one after the other).
ALTER TABLE pages ADD COLUMN commit_seq BIGINT NOT NULL DEFAULT 0;
