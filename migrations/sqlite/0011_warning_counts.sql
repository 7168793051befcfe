-- The article lists count each problem filter; the articles with warnings of a page are
-- read by their own index, not by testing every finding of the page.
CREATE INDEX article_findings_with_warnings ON article_findings (page_id) WHERE warnings > 0;
