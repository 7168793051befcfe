//! Feed runs: a page's runs newest first, and one run with what it reported.

use super::views::{Listing, RunDetail, RunDiagnosticView, RunView};
use super::{Service, ServiceError, decode_id_cursor, encode_id_cursor};
use crate::access::Caller;

impl Service {
    /// A page's runs, newest first.
    pub async fn page_runs(
        &self,
        caller: &Caller,
        page_id: &str,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Listing<RunView>, ServiceError> {
        self.visible_page(caller, page_id).await?;
        let before = decode_id_cursor(cursor)?;
        let mut runs = self.store.page_runs(page_id, before, limit + 1).await?;
        let more = runs.len() as i64 > limit;
        runs.truncate(limit as usize);
        Ok(Listing {
            next_cursor: more
                .then(|| runs.last().and_then(|r| r.id).map(encode_id_cursor))
                .flatten(),
            items: runs.iter().map(RunView::from).collect(),
        })
    }

    /// The cursor of the screen of a page's runs before the one whose newest run is
    /// `first`: `None` when none comes before, `Some(None)` for the first screen.
    pub async fn runs_screen_before(
        &self,
        caller: &Caller,
        page_id: &str,
        first: i64,
        limit: i64,
    ) -> Result<Option<Option<String>>, ServiceError> {
        self.visible_page(caller, page_id).await?;
        Ok(self
            .store
            .runs_screen_before(page_id, first, limit)
            .await?
            .map(|c| c.map(encode_id_cursor)))
    }

    /// One run with its diagnostics (feed-level first, then per article).
    pub async fn run(&self, caller: &Caller, run_id: i64) -> Result<RunDetail, ServiceError> {
        let missing = || ServiceError::NotFound("no such run".into());
        let run = self.store.run(run_id).await?.ok_or_else(missing)?;
        if !caller.scope.allows(&run.page_id) {
            return Err(missing());
        }
        let mut diagnostics = self.store.run_diagnostics(&run.page_id, run_id).await?;
        diagnostics.sort_by_key(|d| d.canonical_url.is_some());
        Ok(RunDetail {
            run: RunView::from(&run),
            diagnostics: diagnostics.iter().map(RunDiagnosticView::from).collect(),
        })
    }
}
