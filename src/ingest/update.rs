//! What each item of a parsed feed does to the store: the identity and update rules of
//! docs/ingestion.md and the `update-…` rules of docs/rules.md, decided against the stored heads.

use super::lookups::Lookups;
use super::{logged, owner_of};
use crate::model::CanonicalUrl;
use crate::store::{
    ArticleContent, ArticleHead, ArticleWrite, Counts, FeedKind, LoggedDiagnostic, Page, Store,
    StoreError,
};
use crate::validate::{ArticleReport, InputReport, RuleId};

/// The 24 h window of `update-outside-24h-window`.
const UPDATE_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// What a run will write.
#[derive(Debug, Default)]
pub struct Plan {
    /// Article writes.
    pub writes: Vec<ArticleWrite>,
    /// Everything to log, feed-level first.
    pub diagnostics: Vec<LoggedDiagnostic>,
    /// The counts.
    pub counts: Counts,
}

/// A 128-bit content fingerprint: it only tells whether a publisher's article changed, so a
/// fast non-cryptographic hash is enough (a forged collision could only hide the forger's
/// own update).
fn hash(text: &str) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
}

/// The update decision for an existing article (before status).
enum ContentDecision {
    Identical,
    Apply,
    Refuse(RuleId, String),
}

fn decide_content(
    head: &ArticleHead,
    incoming_hash: &str,
    incoming_modified: Option<i64>,
) -> ContentDecision {
    if head.content_hash == incoming_hash {
        return ContentDecision::Identical;
    }
    let reference = head.modified_reference();
    let Some(modified) = incoming_modified else {
        return ContentDecision::Refuse(
            RuleId::UpdateMissingOpModified,
            "the article changed but has no usable `op-modified`; the stored version stays".into(),
        );
    };
    let Some(reference) = reference else {
        return ContentDecision::Apply;
    };
    let show = |ms: i64| crate::store::rfc3339(ms);
    if modified <= reference {
        ContentDecision::Refuse(
            RuleId::UpdateNotNewer,
            format!(
                "`op-modified` {} is not later than the stored version's {}; the update is not applied",
                show(modified),
                show(reference)
            ),
        )
    } else if modified - reference > UPDATE_WINDOW_MS {
        ContentDecision::Refuse(
            RuleId::UpdateOutside24hWindow,
            format!(
                "`op-modified` {} is more than 24 h after the stored version's {}; the update is ignored",
                show(modified),
                show(reference)
            ),
        )
    } else {
        ContentDecision::Apply
    }
}

/// The article's HTML as the store keeps it, borrowed unless line ends need normalising.
fn stored_html(report: &ArticleReport) -> std::borrow::Cow<'_, str> {
    let html = report.html.as_deref().unwrap_or_default();
    // `memchr` scans with SIMD; `str::contains` walks a word at a time.
    if memchr::memchr(b'\r', html.as_bytes()).is_some() {
        std::borrow::Cow::Owned(html.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(html)
    }
}

/// The article's content for the store (a copy of its HTML: a run may be planned again
/// when another run of the page committed first).
fn content_of(
    report: &ArticleReport,
    html: std::borrow::Cow<'_, str>,
    content_hash: String,
) -> ArticleContent {
    ArticleContent {
        title: report.title.clone(),
        op_published: report.op_published.map(|t| t.timestamp_millis()),
        op_modified: report.op_modified.map(|t| t.timestamp_millis()),
        content_hash,
        html: html.into_owned(),
        guid: report.guid.clone(),
        item_link: report.link.clone(),
    }
}

/// `canonical-domain-mismatch` for an article whose host belongs to a page with a longer
/// (more specific) domain than this page's.
fn nested_owner(page: &Page, lookups: &Lookups, canonical: &CanonicalUrl) -> Option<String> {
    let host = canonical.host();
    let owner = owner_of(&host, &lookups.domains)?;
    (owner != page.id && page.domain.matches_host(&host)).then(|| {
        format!(
            "canonical URL `{}` belongs to page `{owner}`, whose domain is more specific",
            canonical.as_str()
        )
    })
}

/// Decides every item of a parsed feed against the store, with what `lookups` already
/// holds of it. The report is only read: a run whose commit found that another run of the
/// page committed first plans again from fresh lookups.
pub async fn plan(
    store: &Store,
    page: &Page,
    kind: FeedKind,
    report: &InputReport,
    mut lookups: Lookups,
) -> Result<Plan, StoreError> {
    let mut plan = Plan::default();
    for d in &report.diagnostics {
        plan.diagnostics.push(logged(d, None));
    }
    // Whatever the parse did not look up yet: stored heads, and the pages whose domain could
    // own one of these hosts (ownership goes to the longest domain when page domains nest).
    lookups
        .load(
            store,
            report
                .articles
                .iter()
                .filter_map(|a| a.canonical_url.as_ref()),
        )
        .await?;
    // Only another page's domain can take an article from this page.
    let nesting = lookups.domains.iter().any(|(id, _)| *id != page.id);
    let heads = &lookups.heads;
    let status = match kind {
        FeedKind::Production => "live",
        FeedKind::Development => "draft",
    };
    for article in &report.articles {
        plan.counts.items += 1;
        let canonical_url = article.canonical_url.as_ref();
        let canonical = canonical_url.map(CanonicalUrl::as_str);
        let at = |rule: RuleId, message: String| LoggedDiagnostic {
            canonical_url: canonical.map(str::to_string),
            rule,
            message,
            line: Some(article.position.line),
            column: Some(article.position.column),
        };
        let mut extra: Vec<LoggedDiagnostic> = Vec::new();
        if nesting
            && let Some(message) = canonical_url.and_then(|c| nested_owner(page, &lookups, c))
        {
            extra.push(at(RuleId::CanonicalDomainMismatch, message));
        }
        let superseded = article
            .diagnostics
            .iter()
            .any(|d| d.rule == RuleId::FeedDuplicateCanonical);
        match canonical {
            _ if !article.is_error_free() || !extra.is_empty() => plan.counts.rejected += 1,
            _ if superseded => plan.counts.ignored += 1,
            None => plan.counts.rejected += 1,
            Some(url) => match heads.get(url) {
                Some(head) if head.page_id != page.id => {
                    plan.counts.rejected += 1;
                    extra.push(at(
                        RuleId::CanonicalDomainMismatch,
                        format!("`{url}` is stored under page `{}`", head.page_id),
                    ));
                }
                None => {
                    plan.counts.inserted += 1;
                    let html = stored_html(article);
                    let content_hash = hash(&html);
                    plan.writes.push(ArticleWrite::Insert {
                        canonical_url: url.to_string(),
                        status,
                        content: content_of(article, html, content_hash),
                    });
                }
                Some(head) if kind == FeedKind::Development && head.status == "live" => {
                    // The development feed never changes a live article; an identical one
                    // is `unchanged` (Run counts decide that before `ignored`).
                    if head.content_hash == hash(&stored_html(article)) {
                        plan.counts.unchanged += 1;
                    } else {
                        plan.counts.ignored += 1;
                    }
                }
                Some(head) => {
                    let make_live = kind == FeedKind::Production && head.status == "draft";
                    let html = stored_html(article);
                    let incoming_hash = hash(&html);
                    let modified = article.op_modified.map(|t| t.timestamp_millis());
                    let apply = match decide_content(head, &incoming_hash, modified) {
                        ContentDecision::Identical => None,
                        ContentDecision::Apply => Some(content_of(article, html, incoming_hash)),
                        ContentDecision::Refuse(rule, message) => {
                            extra.push(at(rule, message));
                            None
                        }
                    };
                    if apply.is_some() || make_live {
                        plan.counts.updated += 1;
                        plan.writes.push(ArticleWrite::Update {
                            canonical_url: url.to_string(),
                            content: apply,
                            make_live,
                        });
                    } else if extra.is_empty() {
                        plan.counts.unchanged += 1;
                    } else {
                        plan.counts.ignored += 1;
                    }
                }
            },
        }
        for d in &article.diagnostics {
            plan.diagnostics.push(logged(d, canonical));
        }
        plan.diagnostics.extend(extra);
    }
    Ok(plan)
}
