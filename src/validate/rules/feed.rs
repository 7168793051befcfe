//! Feed-level rules (docs/rules.md): the channel's own fields, and duplicates among its
//! items.

use std::collections::HashMap;

use crate::model::Diagnostic;
use crate::parse::ChannelInfo;
use crate::validate::{ArticleReport, RuleId};

/// `feed-channel-incomplete`, `feed-no-items` and `feed-content-namespace-nonstandard`.
pub fn check_channel(channel: &ChannelInfo) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    // An empty field is as good as a missing one (docs/decisions.md, decision 27); the
    // message says which is which.
    let mut what = Vec::new();
    if !channel.missing.is_empty() {
        what.push(format!("the channel has no {}", listed(&channel.missing)));
    }
    if !channel.empty.is_empty() {
        let verb = if channel.empty.len() == 1 {
            "is"
        } else {
            "are"
        };
        what.push(format!("its {} {verb} empty", listed(&channel.empty)));
    }
    if !what.is_empty() {
        let mut message = what.join("; ");
        if channel.missing.is_empty() {
            message = format!("the channel's {}", &message["its ".len()..]);
        }
        diagnostics.push(Diagnostic::new(
            RuleId::FeedChannelIncomplete,
            message,
            channel.position,
        ));
    }
    if channel.items == 0 {
        diagnostics.push(Diagnostic::new(
            RuleId::FeedNoItems,
            "the channel has no items",
            channel.position,
        ));
    }
    if let Some((uri, position)) = &channel.nonstandard_content_ns {
        diagnostics.push(Diagnostic::new(
            RuleId::FeedContentNamespaceNonstandard,
            format!(
                "`content:encoded` is bound to `{uri}`, read as the content module `{}`; declare that URI exactly",
                crate::parse::feed::CONTENT_NS
            ),
            Some(*position),
        ));
    }
    diagnostics
}

/// `title`, `title and link`, `title, link and description`, each in backticks.
fn listed(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// `feed-duplicate-canonical` (docs/decisions.md, decision 18) and `feed-duplicate-guid`.
pub fn mark_duplicates(reports: &mut [ArticleReport]) {
    // Keys borrow from the reports; the diagnostics are added once the reports are read.
    let mut marks: Vec<(usize, Diagnostic)> = Vec::new();
    let mut by_canonical: HashMap<&str, Group> = HashMap::with_capacity(reports.len());
    for (i, r) in reports.iter().enumerate() {
        if let (true, Some(c)) = (r.is_error_free(), &r.canonical_url) {
            by_canonical
                .entry(c.as_str())
                .and_modify(|g| g.add(i))
                .or_insert_with(|| Group::new(i));
        }
    }
    for (canonical, group) in &by_canonical {
        let Group::Many(group) = group else {
            continue;
        };
        // Latest op-modified wins; one without ranks below any with; the first wins ties.
        let winner = group
            .iter()
            .copied()
            .reduce(
                |best, i| match (reports[i].op_modified, reports[best].op_modified) {
                    (Some(a), Some(b)) if a > b => i,
                    (Some(_), None) => i,
                    _ => best,
                },
            )
            .expect("non-empty group");
        let winner_line = reports[winner].line;
        for &i in group.iter().filter(|i| **i != winner) {
            marks.push((i, Diagnostic::new(
                RuleId::FeedDuplicateCanonical,
                format!("another item (line {winner_line}) has the same canonical URL `{canonical}` and wins; this one is skipped"),
                Some(reports[i].position),
            )));
        }
    }
    let mut first_by_guid: HashMap<&str, usize> = HashMap::with_capacity(reports.len());
    for (i, r) in reports.iter().enumerate() {
        let Some(guid) = r.guid.as_deref() else {
            continue;
        };
        match first_by_guid.get(guid) {
            None => {
                first_by_guid.insert(guid, i);
            }
            Some(&first) => {
                let canonical = &reports[first].canonical_url;
                if r.canonical_url.is_some() && canonical.is_some() && *canonical != r.canonical_url
                {
                    let first_line = reports[first].line;
                    marks.push((i, Diagnostic::new(
                        RuleId::FeedDuplicateGuid,
                        format!("guid `{guid}` is also used by the item at line {first_line}, which has another canonical URL"),
                        Some(r.position),
                    )));
                }
            }
        }
    }
    for (i, diagnostic) in marks {
        reports[i].diagnostics.push(diagnostic);
    }
}

/// The items sharing a canonical URL: most URLs have one item, which needs no list.
enum Group {
    One(usize),
    Many(Vec<usize>),
}

impl Group {
    fn new(first: usize) -> Self {
        Group::One(first)
    }

    fn add(&mut self, item: usize) {
        match self {
            Group::One(first) => *self = Group::Many(vec![*first, item]),
            Group::Many(items) => items.push(item),
        }
    }
}
