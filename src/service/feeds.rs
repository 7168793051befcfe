//! Each feed's current state, as the Feed tab shows it: its newest run, and the items its
//! latest run that read it rejected or found with warnings (kept by the run, with their
//! sources, since rejected items are never stored); one such item with its HTML, to open
//! it in the checker.

use super::views::RunView;
use super::{Service, ServiceError};
use crate::access::Caller;
use crate::store::{FeedItemSet, FeedKind, KeptItem};

/// One feed of a page now.
#[derive(Clone, Debug)]
pub struct FeedNow {
    /// Which feed.
    pub kind: FeedKind,
    /// Its URL as configured (a password masked), when the page has the feed.
    pub url: Option<String>,
    /// Its newest run, whatever it read.
    pub latest_run: Option<RunView>,
    /// What the latest run that read the feed found (none before the first such run).
    pub items: Option<FeedItemSet>,
}

impl Service {
    /// Both feeds of a page now: each feed the page has, and one it no longer has but whose
    /// runs are still on record.
    pub async fn feeds_now(
        &self,
        caller: &Caller,
        page_id: &str,
    ) -> Result<Vec<FeedNow>, ServiceError> {
        let page = self.visible_page(caller, page_id).await?;
        let mut sets = self.store.feed_item_sets(page_id).await?;
        let mut out = Vec::new();
        for kind in [FeedKind::Production, FeedKind::Development] {
            let latest_run = self.store.last_run(page_id, kind).await?;
            let set = sets
                .iter()
                .position(|s| s.kind == kind)
                .map(|i| sets.swap_remove(i));
            let url = page.feed(kind).map(crate::model::mask_url);
            if url.is_none() && latest_run.is_none() && set.is_none() {
                continue;
            }
            out.push(FeedNow {
                kind,
                url,
                latest_run: latest_run.as_ref().map(RunView::from),
                items: set,
            });
        }
        Ok(out)
    }

    /// One kept item of a page's feed, with the article's HTML when the run kept it.
    pub async fn feed_item(
        &self,
        caller: &Caller,
        page_id: &str,
        kind: FeedKind,
        index: i64,
    ) -> Result<KeptItem, ServiceError> {
        self.visible_page(caller, page_id).await?;
        self.store
            .feed_item(page_id, kind, index)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(
                    "the feed's latest run kept no such item: it may have been fixed since".into(),
                )
            })
    }
}
