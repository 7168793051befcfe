-- The article lists' "with errors" filter reads the few articles of a page whose last
-- version seen had errors, not every finding of the page.
CREATE INDEX article_findings_with_errors ON article_findings (page_id) WHERE errors > 0;
