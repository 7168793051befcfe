//! Validation: the checks of every rule that can be decided from the input alone.
//!
//! The rules themselves are in [`registry`](crate::registry); [`rules`] holds the checks,
//! one file per group;
//! [`run`] drives a whole feed or article file through parse and check and returns an
//! [`InputReport`]. `update-…` rules are decided by the store, fetch rules by the fetcher:
//! they are in the registry, and reported where those stages run.

pub mod context;
pub mod rules;
pub mod run;
mod thread_pool;

pub use crate::registry::{Group, RuleId, Severity, UnknownRule};
pub use context::ArticleContext;
pub use run::{
    ArticleReport, CanonicalTap, CheckOptions, InputReport, Verdict, check_article_text,
    check_input,
};

use crate::model::{CanonicalUrl, Diagnostic};
use crate::parse::ParsedArticle;

/// Runs every article rule on a parsed article and returns the diagnostics and the resolved
/// canonical URL. Item rules are the caller's (they need no parse); this covers head,
/// header, body, media, embeds and footer. The body's relative URLs are resolved against
/// the canonical the head rules resolved.
pub fn validate_article(
    article: &ParsedArticle,
    cx: ArticleContext,
) -> (Vec<Diagnostic>, Option<CanonicalUrl>) {
    let mut checker = context::Checker::new(article, cx);
    let canonical = rules::head::check(&mut checker);
    rules::header::check(&mut checker);
    rules::body::check(&mut checker, canonical.as_ref());
    rules::media::check(&mut checker);
    rules::embeds::check(&mut checker);
    rules::footer::check(&mut checker);
    (checker.finish(), canonical)
}
