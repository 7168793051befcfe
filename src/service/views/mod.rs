//! What the service answers: one typed shape per record, which the API serializes, the
//! OpenAPI document describes (each derives [`utoipa::ToSchema`]), the web pages read as
//! fields and the command line prints as JSON. Times are [`Timestamp`]s; secrets in URLs
//! are masked before a view is made.
//!
//! Each view is made from the store's rows here, in one place, so a record never has two
//! shapes.

pub mod article;
pub mod audit;
pub mod page;
pub mod rule;
pub mod run;

pub use article::{
    ArticleDetail, ArticleRecord, ArticleView, EditAnswer, IgnoredUpdateView, ImportAnswer,
    RejectedVersionView, RevisionView,
};
pub use audit::AuditView;
pub use page::{ArticleCountsView, FeedView, FeedsView, FetchNowAnswer, PageView};
pub use rule::{RuleScope, RuleView};
pub use run::{RunDetail, RunDiagnosticView, RunView, WarningView};

pub use crate::model::Timestamp;

/// One screen of a list, and where the next one starts.
///
/// Lists carry no total: they are keyset-paged, so a screen costs the same however deep it
/// is, while a total would cost a count of every match on every screen. A page's article
/// counts are on the page itself ([`PageView::articles`]).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Listing<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Where the next screen starts (pass it back as `cursor`); null on the last screen.
    pub next_cursor: Option<String>,
}
