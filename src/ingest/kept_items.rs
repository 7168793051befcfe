//! What a run that read its feed keeps of the items a publisher must look at: every item it
//! rejected and every item with warnings, named by title, guid, link and canonical URL, with
//! their diagnostics, the feed's lines around each (the spot marked) and the article's HTML
//! (so that a rejected item can be opened and checked again), within bounds.
//!
//! Bounds: at most [`MAX_ITEMS`] items per feed (rejected ones first), excerpts for the
//! first [`MAX_EXCERPTS`] diagnostics of each, the HTML of an item up to [`MAX_ITEM_HTML`]
//! bytes and of all of a feed's items up to [`MAX_FEED_HTML`]. The counts are of every item.

use std::ops::Range;

use super::update::{Plan, Would};
use crate::model::{ExcerptLine, excerpt_of_lines};
use crate::parse::source::sniff_xml_encoding;
use crate::store::{
    FeedItemsWrite, FeedKind, ItemVerdict, KeptDiagnostic, KeptItem, LoggedDiagnostic,
};
use crate::validate::{InputReport, Severity};

/// Items kept per feed at most.
pub const MAX_ITEMS: usize = 100;
/// Diagnostics of one item kept at most.
pub const MAX_DIAGNOSTICS: usize = 200;
/// Diagnostics of one item with an excerpt at most.
pub const MAX_EXCERPTS: usize = 20;
/// The largest article HTML kept for one item.
pub const MAX_ITEM_HTML: usize = 1024 * 1024;
/// The most article HTML kept for one feed.
pub const MAX_FEED_HTML: usize = 8 * 1024 * 1024;

/// A feed's text as the publisher has it, by line, for excerpts.
#[derive(Debug, Default)]
pub struct FeedLines {
    text: String,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
}

impl FeedLines {
    /// The feed's bytes decoded as the feed reader decodes them (BOM, declaration, HTTP
    /// charset, else UTF-8), split into lines at LF, CR LF and CR.
    pub fn decode(bytes: Vec<u8>, http_charset: Option<&str>) -> FeedLines {
        let head = &bytes[..bytes.len().min(4096)];
        let text = match sniff_xml_encoding(head, http_charset) {
            Ok(s) if s.encoding == encoding_rs::UTF_8 => {
                let bom = s.bom_len;
                match String::from_utf8(bytes) {
                    Ok(mut t) => {
                        t.drain(..bom.min(t.len()));
                        t
                    }
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                }
            }
            Ok(s) => s
                .encoding
                .decode_without_bom_handling(&bytes[s.bom_len..])
                .0
                .into_owned(),
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        };
        let mut starts = vec![0];
        let b = text.as_bytes();
        let mut i = 0;
        while let Some(found) = memchr::memchr2(b'\n', b'\r', &b[i..]) {
            let at = i + found;
            if b[at] == b'\r' && b.get(at + 1) == Some(&b'\n') {
                starts.push(at + 2);
                i = at + 2;
            } else {
                starts.push(at + 1);
                i = at + 1;
            }
        }
        FeedLines { text, starts }
    }

    /// Line `n` (1-based) without its line end.
    fn line(&self, n: usize) -> Option<&str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let end = self.starts.get(n).copied().unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\r', '\n']))
    }

    /// The lines around `line`:`column`, the spot marked.
    fn excerpt(&self, line: u32, column: u32) -> Vec<ExcerptLine> {
        let line = line as usize;
        let lines: Vec<(usize, &str)> = (line.saturating_sub(2).max(1)..=line + 2)
            .filter_map(|n| self.line(n).map(|t| (n, t)))
            .collect();
        excerpt_of_lines(&lines, line, i64::from(column))
    }
}

fn kept(d: &LoggedDiagnostic, lines: Option<&FeedLines>) -> KeptDiagnostic {
    let excerpt = match (lines, d.line, d.column) {
        (Some(lines), Some(l), Some(c)) => lines.excerpt(l, c),
        _ => Vec::new(),
    };
    KeptDiagnostic {
        rule: d.rule.as_str().to_string(),
        severity: d.rule.severity().as_str().to_string(),
        message: d.message.clone(),
        line: d.line.map(i64::from),
        column: d.column.map(i64::from),
        excerpt,
    }
}

fn action(would: Would) -> &'static str {
    match would {
        Would::Insert => "insert",
        Would::Update => "update",
        Would::MakeLive => "make_live",
        Would::Unchanged => "unchanged",
        Would::Ignore => "ignore",
        Would::Reject => "reject",
    }
}

/// The run's feed-level diagnostics: the plan logs them first.
fn feed_level(report: &InputReport, plan: &Plan) -> Range<usize> {
    0..report.diagnostics.len().min(plan.diagnostics.len())
}

/// What the run keeps of `kind`'s feed, from its report and its plan.
pub fn kept_items(
    kind: FeedKind,
    report: &InputReport,
    plan: &Plan,
    lines: &FeedLines,
) -> FeedItemsWrite {
    let lines = (!lines.starts.is_empty()).then_some(lines);
    let verdict_of = |o: &super::update::ItemOutcome| {
        if o.would == Would::Reject {
            Some(ItemVerdict::Rejected)
        } else if plan.diagnostics[o.diagnostics.clone()]
            .iter()
            .any(|d| d.rule.severity() == Severity::Warning)
        {
            Some(ItemVerdict::Warned)
        } else {
            None
        }
    };
    let mut rejected = 0;
    let mut warned = 0;
    let mut chosen: Vec<(ItemVerdict, &super::update::ItemOutcome)> = Vec::new();
    for o in &plan.items {
        match verdict_of(o) {
            Some(ItemVerdict::Rejected) => rejected += 1,
            Some(ItemVerdict::Warned) => warned += 1,
            None => {}
        }
    }
    // Rejected items first, then warned ones, each in feed order.
    for wanted in [ItemVerdict::Rejected, ItemVerdict::Warned] {
        for o in &plan.items {
            if chosen.len() >= MAX_ITEMS {
                break;
            }
            if verdict_of(o) == Some(wanted) {
                chosen.push((wanted, o));
            }
        }
    }
    let mut html_left = MAX_FEED_HTML;
    let mut items: Vec<KeptItem> = chosen
        .into_iter()
        .map(|(verdict, o)| {
            let article = &report.articles[o.item];
            let html = article
                .html
                .as_ref()
                .filter(|h| h.len() <= MAX_ITEM_HTML && h.len() <= html_left)
                .cloned();
            html_left -= html.as_ref().map_or(0, String::len);
            let diagnostics = plan.diagnostics[o.diagnostics.clone()]
                .iter()
                .take(MAX_DIAGNOSTICS)
                .enumerate()
                .map(|(i, d)| kept(d, lines.filter(|_| i < MAX_EXCERPTS)))
                .collect();
            KeptItem {
                index: article.index as i64,
                verdict,
                action: action(o.would).to_string(),
                canonical_url: article
                    .canonical_url
                    .as_ref()
                    .map(|c| c.as_str().to_string()),
                guid: article.guid.clone(),
                link: article.link.clone().filter(|l| !l.is_empty()),
                title: article
                    .title
                    .clone()
                    .filter(|t| !t.is_empty())
                    .or_else(|| article.item_title.clone()),
                op_modified: article.op_modified.map(|t| t.timestamp_millis()),
                line: i64::from(article.line),
                diagnostics,
                has_html: html.is_some(),
                html,
            }
        })
        .collect();
    items.sort_by_key(|i| i.index);
    let feed_diagnostics: Vec<KeptDiagnostic> = plan.diagnostics[feed_level(report, plan)]
        .iter()
        .take(MAX_DIAGNOSTICS)
        .map(|d| kept(d, lines))
        .collect();
    let fingerprint = {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let json =
            serde_json::to_vec(&(&items, &feed_diagnostics, rejected, warned)).unwrap_or_default();
        h.update(&json);
        format!("{:032x}", h.digest128())
    };
    FeedItemsWrite {
        kind,
        fingerprint,
        rejected,
        warned,
        feed_diagnostics,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_at_every_line_end() {
        let lines = FeedLines::decode(b"\xEF\xBB\xBFa\r\nb\rc\nd".to_vec(), None);
        assert_eq!(lines.line(1), Some("a"));
        assert_eq!(lines.line(2), Some("b"));
        assert_eq!(lines.line(3), Some("c"));
        assert_eq!(lines.line(4), Some("d"));
        assert_eq!(lines.line(5), None);
        let marked = lines.excerpt(3, 1);
        assert_eq!(marked.len(), 4);
        assert_eq!(marked[2].marked.as_deref(), Some("c"));
    }

    #[test]
    fn a_latin_1_feed_is_decoded_as_declared() {
        let feed = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss>caf\xE9</rss>".to_vec();
        let lines = FeedLines::decode(feed, None);
        assert_eq!(lines.line(2), Some("<rss>café</rss>"));
    }
}
