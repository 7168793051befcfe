//! What each item of a parsed feed does to the store: the identity and update rules of
//! docs/ingestion.md and the `update-…` rules of docs/rules.md, decided against the stored heads.

use std::collections::HashMap;

use serde::Serialize;

use super::lookups::Lookups;
use crate::model::{ArticleStatus, CanonicalUrl};
use crate::store::findings::FindingsWrite;
use crate::store::ignored::IgnoredWrite;
use crate::store::{
    ArticleContent, ArticleHead, ArticleWrite, Counts, FeedKind, Findings, LoggedDiagnostic, Page,
    Writes,
};
use crate::validate::{ArticleReport, InputReport, RuleId};

/// The 24 h window of `update-outside-24h-window`.
const UPDATE_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// What a run (or a manual write) will write, and what each item does.
#[derive(Debug, Default)]
pub struct Plan {
    /// Article, findings and ignored-update writes.
    pub writes: Writes,
    /// Everything to log, feed-level first.
    pub diagnostics: Vec<LoggedDiagnostic>,
    /// The counts.
    pub counts: Counts,
    /// What each item does, in feed order.
    pub items: Vec<ItemOutcome>,
}

/// What one item does, in the words of a dry run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Would {
    /// A new canonical URL is inserted (`inserted`).
    Insert,
    /// Its content is applied, and a draft may go live (`updated`).
    Update,
    /// A draft goes live, its content unchanged or refused (`updated`).
    MakeLive,
    /// Nothing changes (`unchanged`).
    Unchanged,
    /// Left alone: a superseded duplicate, refused by an update rule, or a development
    /// version of a live article (`ignored`).
    Ignore,
    /// Not stored: errors, or another page's article (`rejected`).
    Reject,
}

/// What one item does, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemOutcome {
    /// Its index in the report's articles.
    pub item: usize,
    /// What it does.
    pub would: Would,
    /// The rule behind a rejection, a refusal or a superseded duplicate.
    pub reason: Option<RuleId>,
    /// The stored version's `op-modified` (ms), when stored.
    pub stored_op_modified: Option<i64>,
    /// Its diagnostics in [`Plan::diagnostics`].
    pub diagnostics: std::ops::Range<usize>,
}

/// A 128-bit content fingerprint: it only tells whether a publisher's article changed, so a
/// fast non-cryptographic hash is enough (a forged collision could only hide the forger's
/// own update).
fn hash(text: &str) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
}

/// An update rule's refusal, logged for the item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `update-missing-op-modified`, `update-not-newer` or `update-outside-24h-window`.
    pub rule: RuleId,
    /// Why, with both times.
    pub message: String,
}

/// What an incoming version is, for the decision.
#[derive(Clone, Copy, Debug)]
pub struct Incoming<'a> {
    /// Hash of its `content:encoded` as the store would keep it.
    pub content_hash: &'a str,
    /// Its `op-modified` (ms), if usable.
    pub op_modified: Option<i64>,
}

/// Where an incoming version comes from: the decision differs by origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A run of the page's production or development feed: the identity and update rules.
    Feed(FeedKind),
    /// A manual edit, a restore, or an ignored update applied by hand, of a stored article:
    /// its content applies whatever its `op-modified` (the editor is the way around the
    /// update rules) and its status is kept.
    Manual,
    /// An import: a new canonical URL is inserted, live when `published`, else a draft; a
    /// stored article is updated like a manual edit, and `published` makes a draft live
    /// (an unpublished import never demotes a live article).
    Import {
        /// Asked to be live.
        published: bool,
    },
}

/// What one item (error-free, not superseded, with a canonical URL on the page's domain)
/// does to the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A new canonical URL: stored with this status.
    Insert(ArticleStatus),
    /// New content, a draft made live, or both; a refusal of the content may come with a
    /// draft made live.
    Update {
        /// The content replaces the stored one.
        content: bool,
        /// The draft becomes live.
        make_live: bool,
        /// Why the content was not applied, when it was not.
        refusal: Option<Refusal>,
    },
    /// Identical to the stored version and no status change due.
    Unchanged,
    /// Left alone: refused by an update rule (logged), or a development version of a live
    /// article (not logged).
    Ignored(Option<Refusal>),
    /// The canonical URL is stored under another page.
    Foreign {
        /// That page.
        owner: String,
    },
    /// A manual write of an article that is not stored.
    Missing,
}

/// What an incoming version does given the stored head of its canonical URL, if any.
///
/// From a feed, the identity and update rules (docs/ingestion.md, Identity and updates):
/// status is decided first and independently (a draft arriving through the production feed
/// goes live whatever its `op-modified`; the development feed never changes a live
/// article), then changed content applies only when its `op-modified` is later than the
/// stored version's and within 24 h of it. Manual writes and imports apply changed content
/// whatever its times (see [`Origin`]).
pub fn decide(
    head: Option<&ArticleHead>,
    page_id: &str,
    origin: Origin,
    incoming: Incoming<'_>,
) -> Action {
    let Some(head) = head else {
        return match origin {
            Origin::Feed(FeedKind::Production) | Origin::Import { published: true } => {
                Action::Insert(ArticleStatus::Live)
            }
            Origin::Feed(FeedKind::Development) | Origin::Import { published: false } => {
                Action::Insert(ArticleStatus::Draft)
            }
            Origin::Manual => Action::Missing,
        };
    };
    if head.page_id != page_id {
        return Action::Foreign {
            owner: head.page_id.clone(),
        };
    }
    let identical = head.content_hash == incoming.content_hash;
    let kind = match origin {
        Origin::Feed(kind) => kind,
        Origin::Manual | Origin::Import { .. } => {
            let make_live =
                origin == Origin::Import { published: true } && head.status == ArticleStatus::Draft;
            return if identical && !make_live {
                Action::Unchanged
            } else {
                Action::Update {
                    content: !identical,
                    make_live,
                    refusal: None,
                }
            };
        }
    };
    if kind == FeedKind::Development && head.status == ArticleStatus::Live {
        // Run counts decide `unchanged` before `ignored`.
        return if identical {
            Action::Unchanged
        } else {
            Action::Ignored(None)
        };
    }
    let make_live = kind == FeedKind::Production && head.status == ArticleStatus::Draft;
    let refusal = if identical {
        None
    } else {
        refuse_content(head, incoming.op_modified)
    };
    let content = !identical && refusal.is_none();
    match (content || make_live, &refusal) {
        (true, _) => Action::Update {
            content,
            make_live,
            refusal,
        },
        (false, None) => Action::Unchanged,
        (false, Some(_)) => Action::Ignored(refusal),
    }
}

/// Why changed content may not replace the stored version, if it may not.
fn refuse_content(head: &ArticleHead, incoming_modified: Option<i64>) -> Option<Refusal> {
    let Some(modified) = incoming_modified else {
        return Some(Refusal {
            rule: RuleId::UpdateMissingOpModified,
            message:
                "the article changed but has no usable `op-modified`; the stored version stays"
                    .into(),
        });
    };
    let reference = head.modified_reference()?;
    let show = crate::model::rfc3339;
    if modified <= reference {
        Some(Refusal {
            rule: RuleId::UpdateNotNewer,
            message: format!(
                "`op-modified` {} is not later than the stored version's {}; the update is not applied",
                show(modified),
                show(reference)
            ),
        })
    } else if modified - reference > UPDATE_WINDOW_MS {
        Some(Refusal {
            rule: RuleId::UpdateOutside24hWindow,
            message: format!(
                "`op-modified` {} is more than 24 h after the stored version's {}; the update is ignored",
                show(modified),
                show(reference)
            ),
        })
    } else {
        None
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
    let owner = lookups.owner_of(&host)?;
    // The message never names the other page: a publisher of this one may not know it.
    (owner != page.id && page.domain.matches_host(&host)).then(|| {
        format!(
            "canonical URL `{}` belongs to another page, whose domain is more specific than \
             this page's",
            canonical.as_str()
        )
    })
}

/// Decides every item of a parsed feed (or the one article of a manual write) against the
/// store, as `lookups` holds it: the caller has looked up every canonical URL of the report
/// ([`Lookups::load_report`]), under the page's writer lock when the plan is to be
/// committed. The report is only read.
pub fn plan(page: &Page, origin: Origin, report: &InputReport, lookups: &Lookups) -> Plan {
    let mut plan = Plan {
        items: Vec::with_capacity(report.articles.len()),
        ..Plan::default()
    };
    for d in &report.diagnostics {
        plan.diagnostics.push(LoggedDiagnostic::of(d, None));
    }
    // Only another page's domain can take an article from this page.
    let nesting = lookups.domains.iter().any(|(id, _)| *id != page.id);
    let heads = &lookups.heads;
    // The findings of the version each stored article of this page is seen in: the decided
    // item's, else the first rejected one's (a feed may carry one canonical URL twice).
    let mut seen: HashMap<&str, Findings> = HashMap::new();
    for (item, article) in report.articles.iter().enumerate() {
        plan.counts.items += 1;
        let first_diagnostic = plan.diagnostics.len();
        let canonical_url = article.canonical_url.as_ref();
        let canonical = canonical_url.map(CanonicalUrl::as_str);
        let head = canonical.and_then(|url| heads.get(url));
        let at = |rule: RuleId, message: String| LoggedDiagnostic {
            canonical_url: canonical.map(str::to_string),
            rule,
            message,
            line: Some(article.position.line),
            column: Some(article.position.column),
        };
        let mut extra: Vec<LoggedDiagnostic> = Vec::new();
        // An article this page stored stays its own, whatever pages were added since.
        let stored_here = head.is_some_and(|h| h.page_id == page.id);
        if nesting
            && !stored_here
            && let Some(message) = canonical_url.and_then(|c| nested_owner(page, lookups, c))
        {
            extra.push(at(RuleId::CanonicalDomainMismatch, message));
        }
        let findings = || {
            let own = Findings::of(&article.diagnostics);
            let nested = Findings::of_rules(extra.iter().map(|d| d.rule));
            Findings {
                errors: own.errors + nested.errors,
                warnings: own.warnings + nested.warnings,
            }
        };
        let superseded = article
            .diagnostics
            .iter()
            .any(|d| d.rule == RuleId::FeedDuplicateCanonical);
        let (would, reason) = match canonical {
            _ if !article.is_error_free() || !extra.is_empty() => {
                plan.counts.rejected += 1;
                if let (Some(url), Some(h)) = (canonical, head)
                    && h.page_id == page.id
                {
                    seen.entry(url).or_insert(findings());
                }
                let reason = (article.diagnostics.iter().map(|d| d.rule))
                    .chain(extra.iter().map(|d| d.rule))
                    .find(|r| r.severity() == crate::validate::Severity::Error);
                (Would::Reject, reason)
            }
            _ if superseded => {
                plan.counts.ignored += 1;
                (Would::Ignore, Some(RuleId::FeedDuplicateCanonical))
            }
            None => {
                plan.counts.rejected += 1;
                (Would::Reject, None)
            }
            Some(url) => {
                let html = stored_html(article);
                let content_hash = hash(&html);
                let incoming = Incoming {
                    content_hash: &content_hash,
                    op_modified: article.op_modified.map(|t| t.timestamp_millis()),
                };
                let action = decide(head, &page.id, origin, incoming);
                if !matches!(action, Action::Foreign { .. } | Action::Missing) {
                    seen.insert(url, findings());
                }
                let refused = |r: &Refusal, html: std::borrow::Cow<'_, str>| {
                    // The same version refused again is kept as it was.
                    (head.and_then(|h| h.ignored_hash.as_deref()) != Some(&content_hash)).then(
                        || IgnoredWrite {
                            canonical_url: url.to_string(),
                            rule: r.rule,
                            message: r.message.clone(),
                            op_modified: incoming.op_modified,
                            content_hash: content_hash.clone(),
                            html: html.into_owned(),
                        },
                    )
                };
                match action {
                    Action::Insert(status) => {
                        plan.counts.inserted += 1;
                        plan.writes.articles.push(ArticleWrite::Insert {
                            canonical_url: url.to_string(),
                            status,
                            content: content_of(article, html, content_hash.clone()),
                        });
                        (Would::Insert, None)
                    }
                    Action::Update {
                        content,
                        make_live,
                        refusal,
                    } => {
                        plan.counts.updated += 1;
                        let reason = refusal.as_ref().map(|r| r.rule);
                        let content = if content {
                            Some(content_of(article, html, content_hash.clone()))
                        } else {
                            plan.writes
                                .ignored
                                .extend(refusal.as_ref().and_then(|r| refused(r, html)));
                            None
                        };
                        let would = if content.is_some() {
                            Would::Update
                        } else {
                            Would::MakeLive
                        };
                        extra.extend(refusal.map(|r| at(r.rule, r.message)));
                        plan.writes.articles.push(ArticleWrite::Update {
                            canonical_url: url.to_string(),
                            content,
                            make_live,
                        });
                        (would, reason)
                    }
                    Action::Unchanged => {
                        plan.counts.unchanged += 1;
                        (Would::Unchanged, None)
                    }
                    Action::Ignored(refusal) => {
                        plan.counts.ignored += 1;
                        let reason = refusal.as_ref().map(|r| r.rule);
                        if let Some(r) = &refusal {
                            plan.writes.ignored.extend(refused(r, html));
                        }
                        extra.extend(refusal.map(|r| at(r.rule, r.message)));
                        (Would::Ignore, reason)
                    }
                    Action::Missing => {
                        plan.counts.rejected += 1;
                        (Would::Reject, None)
                    }
                    Action::Foreign { .. } => {
                        plan.counts.rejected += 1;
                        extra.push(at(
                            RuleId::CanonicalDomainMismatch,
                            format!(
                                "`{url}` is stored under another page; an article belongs \
                                 to the page that stored it until it is deleted there"
                            ),
                        ));
                        (Would::Reject, Some(RuleId::CanonicalDomainMismatch))
                    }
                }
            }
        };
        for d in &article.diagnostics {
            plan.diagnostics.push(LoggedDiagnostic::of(d, canonical));
        }
        plan.diagnostics.extend(extra);
        plan.items.push(ItemOutcome {
            item,
            would,
            reason,
            stored_op_modified: head.and_then(|h| h.op_modified),
            diagnostics: first_diagnostic..plan.diagnostics.len(),
        });
    }
    // Findings are written only where they changed (an article without a row has none).
    for (url, findings) in seen {
        if heads.get(url).map(|h| h.findings).unwrap_or_default() != findings {
            plan.writes.findings.push(FindingsWrite {
                canonical_url: url.to_string(),
                findings,
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600 * 1000;
    const T0: i64 = 1_700_000_000_000;
    const PROD: Origin = Origin::Feed(FeedKind::Production);
    const DEV: Origin = Origin::Feed(FeedKind::Development);
    const PUBLISHED: Origin = Origin::Import { published: true };
    const UNPUBLISHED: Origin = Origin::Import { published: false };

    fn head(status: ArticleStatus, modified: Option<i64>) -> ArticleHead {
        ArticleHead {
            page_id: "news".into(),
            status,
            content_hash: "old".into(),
            op_published: Some(T0),
            op_modified: modified,
            revision: 1,
            findings: Findings::default(),
            ignored_hash: None,
        }
    }

    fn incoming(hash: &str, modified: Option<i64>) -> Incoming<'_> {
        Incoming {
            content_hash: hash,
            op_modified: modified,
        }
    }

    fn refused(action: &Action) -> Option<RuleId> {
        match action {
            Action::Ignored(Some(r)) => Some(r.rule),
            Action::Update {
                refusal: Some(r), ..
            } => Some(r.rule),
            _ => None,
        }
    }

    #[test]
    fn a_new_canonical_is_inserted_live_or_draft_by_feed() {
        let new = incoming("x", None);
        assert_eq!(
            decide(None, "news", PROD, new),
            Action::Insert(ArticleStatus::Live)
        );
        assert_eq!(
            decide(None, "news", DEV, new),
            Action::Insert(ArticleStatus::Draft)
        );
    }

    #[test]
    fn another_pages_article_is_foreign() {
        let h = head(ArticleStatus::Live, None);
        assert_eq!(
            decide(Some(&h), "sport", PROD, incoming("x", None)),
            Action::Foreign {
                owner: "news".into()
            }
        );
    }

    #[test]
    fn content_is_applied_only_when_later_and_within_24_hours() {
        let h = head(ArticleStatus::Live, Some(T0 + HOUR));
        let prod = PROD;
        let later = decide(Some(&h), "news", prod, incoming("new", Some(T0 + 2 * HOUR)));
        assert_eq!(
            later,
            Action::Update {
                content: true,
                make_live: false,
                refusal: None
            }
        );
        let same = decide(Some(&h), "news", prod, incoming("new", Some(T0 + HOUR)));
        assert_eq!(refused(&same), Some(RuleId::UpdateNotNewer));
        assert!(matches!(same, Action::Ignored(_)));
        // 24 h are measured from the stored modified time, not from now.
        let edge = decide(
            Some(&h),
            "news",
            prod,
            incoming("new", Some(T0 + 25 * HOUR)),
        );
        assert!(
            matches!(edge, Action::Update { content: true, .. }),
            "{edge:?}"
        );
        let far = decide(
            Some(&h),
            "news",
            prod,
            incoming("new", Some(T0 + 26 * HOUR)),
        );
        assert_eq!(refused(&far), Some(RuleId::UpdateOutside24hWindow));
        let none = decide(Some(&h), "news", prod, incoming("new", None));
        assert_eq!(refused(&none), Some(RuleId::UpdateMissingOpModified));
        // Without a stored op-modified the reference is op-published.
        let h = head(ArticleStatus::Live, None);
        let after = decide(Some(&h), "news", prod, incoming("new", Some(T0 + HOUR)));
        assert!(matches!(after, Action::Update { content: true, .. }));
    }

    #[test]
    fn identical_content_is_unchanged_whatever_its_times() {
        let h = head(ArticleStatus::Live, Some(T0));
        for modified in [None, Some(T0 - HOUR), Some(T0 + 48 * HOUR)] {
            assert_eq!(
                decide(Some(&h), "news", PROD, incoming("old", modified)),
                Action::Unchanged
            );
        }
    }

    #[test]
    fn status_is_decided_before_the_update_rules() {
        // A draft through the production feed goes live even when its content may not change.
        let draft = head(ArticleStatus::Draft, Some(T0));
        let action = decide(Some(&draft), "news", PROD, incoming("new", Some(T0)));
        assert_eq!(
            action,
            Action::Update {
                content: false,
                make_live: true,
                refusal: Some(Refusal {
                    rule: RuleId::UpdateNotNewer,
                    message: action_message(&action),
                }),
            }
        );
        // The development feed never changes a live article, and logs nothing for it.
        let live = head(ArticleStatus::Live, Some(T0));
        let dev = DEV;
        assert_eq!(
            decide(Some(&live), "news", dev, incoming("new", Some(T0 + HOUR))),
            Action::Ignored(None)
        );
        assert_eq!(
            decide(Some(&live), "news", dev, incoming("old", None)),
            Action::Unchanged
        );
        // A draft updated through the development feed stays a draft.
        let action = decide(Some(&draft), "news", dev, incoming("new", Some(T0 + HOUR)));
        assert_eq!(
            action,
            Action::Update {
                content: true,
                make_live: false,
                refusal: None
            }
        );
    }

    const CONTENT: Action = Action::Update {
        content: true,
        make_live: false,
        refusal: None,
    };

    #[test]
    fn a_manual_write_applies_changed_content_whatever_its_times() {
        for status in [ArticleStatus::Live, ArticleStatus::Draft] {
            let h = head(status, Some(T0));
            // Not newer, far outside the window, or without op-modified: applied all the same,
            // and the status is kept.
            for modified in [Some(T0 - HOUR), Some(T0), Some(T0 + 48 * HOUR), None] {
                let edit = incoming("new", modified);
                assert_eq!(decide(Some(&h), "news", Origin::Manual, edit), CONTENT);
            }
            assert_eq!(
                decide(Some(&h), "news", Origin::Manual, incoming("old", None)),
                Action::Unchanged
            );
        }
    }

    #[test]
    fn a_manual_write_needs_a_stored_article_of_its_page() {
        assert_eq!(
            decide(None, "news", Origin::Manual, incoming("x", None)),
            Action::Missing
        );
        let h = head(ArticleStatus::Live, None);
        assert_eq!(
            decide(Some(&h), "sport", Origin::Manual, incoming("x", None)),
            Action::Foreign {
                owner: "news".into()
            }
        );
    }

    #[test]
    fn an_import_inserts_live_or_draft_as_asked() {
        let new = incoming("x", None);
        assert_eq!(
            decide(None, "news", PUBLISHED, new),
            Action::Insert(ArticleStatus::Live)
        );
        assert_eq!(
            decide(None, "news", UNPUBLISHED, new),
            Action::Insert(ArticleStatus::Draft)
        );
        let h = head(ArticleStatus::Draft, None);
        assert_eq!(
            decide(Some(&h), "sport", PUBLISHED, new),
            Action::Foreign {
                owner: "news".into()
            }
        );
    }

    #[test]
    fn an_import_updates_like_an_edit_and_never_demotes() {
        let live = head(ArticleStatus::Live, Some(T0));
        for origin in [PUBLISHED, UNPUBLISHED] {
            let older = incoming("new", Some(T0 - HOUR));
            assert_eq!(decide(Some(&live), "news", origin, older), CONTENT);
            assert_eq!(
                decide(Some(&live), "news", origin, incoming("old", None)),
                Action::Unchanged
            );
        }
        let draft = head(ArticleStatus::Draft, Some(T0));
        // Published: the draft goes live, with or without new content.
        assert_eq!(
            decide(Some(&draft), "news", PUBLISHED, incoming("old", None)),
            Action::Update {
                content: false,
                make_live: true,
                refusal: None
            }
        );
        assert_eq!(
            decide(Some(&draft), "news", PUBLISHED, incoming("new", None)),
            Action::Update {
                content: true,
                make_live: true,
                refusal: None
            }
        );
        // Unpublished: it stays a draft.
        assert_eq!(
            decide(Some(&draft), "news", UNPUBLISHED, incoming("new", None)),
            CONTENT
        );
        assert_eq!(
            decide(Some(&draft), "news", UNPUBLISHED, incoming("old", None)),
            Action::Unchanged
        );
    }

    fn action_message(action: &Action) -> String {
        match action {
            Action::Update {
                refusal: Some(r), ..
            }
            | Action::Ignored(Some(r)) => r.message.clone(),
            _ => String::new(),
        }
    }
}
