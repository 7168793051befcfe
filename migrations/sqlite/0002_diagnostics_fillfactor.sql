-- PostgreSQL leaves room on the warnings log's pages for recurrence updates; SQLite has no
-- such setting. This file keeps the two backends' migration numbers the same.
SELECT 1;
