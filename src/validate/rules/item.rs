//! Item rules (docs/rules.md): the RSS `<item>`'s own fields.

use chrono_tz::Tz;

use crate::model::{Diagnostic, parse_pubdate};
use crate::parse::RawItem;
use crate::parse::dom::is_blank;
use crate::validate::RuleId;

/// Checks an item's fields; returns the diagnostics and whether its content can be read.
pub fn check(item: &RawItem, zone: Tz) -> (Vec<Diagnostic>, bool) {
    let mut out = Vec::new();
    let at = Some(item.position);
    let content_ok = item
        .content
        .as_ref()
        .is_some_and(|c| !c.html.chars().all(|ch| ch.is_whitespace()));
    if !content_ok {
        let message = match (&item.content, &item.encoded_elsewhere) {
            (Some(_), _) => "`content:encoded` is empty".to_string(),
            (None, Some(uri)) => format!(
                "the item has no `content:encoded`: its `encoded` element is in the namespace \
                 `{uri}`, not the content module `{}`",
                crate::parse::feed::CONTENT_NS
            ),
            (None, None) => {
                "the item has no `content:encoded` (is the content namespace declared?)".to_string()
            }
        };
        let position = item.content_position.or(at);
        out.push(Diagnostic::new(
            RuleId::ItemMissingContent,
            message,
            position,
        ));
    }
    match &item.title {
        Some(t) if !is_blank(&t.text) => {}
        Some(t) => out.push(Diagnostic::new(
            RuleId::ItemMissingTitle,
            "the item's `<title>` is empty",
            Some(t.position),
        )),
        None => out.push(Diagnostic::new(
            RuleId::ItemMissingTitle,
            "the item has no `<title>`",
            at,
        )),
    }
    match &item.link {
        Some(l) if !l.text.trim().is_empty() => {}
        Some(l) => out.push(Diagnostic::new(
            RuleId::ItemMissingLink,
            "the item's `<link>` is empty",
            Some(l.position),
        )),
        None => out.push(Diagnostic::new(
            RuleId::ItemMissingLink,
            "the item has no `<link>`",
            at,
        )),
    }
    match &item.guid {
        Some(g) if !g.text.trim().is_empty() => {}
        Some(g) => out.push(Diagnostic::new(
            RuleId::ItemMissingGuid,
            "the item's `<guid>` is empty",
            Some(g.position),
        )),
        None => out.push(Diagnostic::new(
            RuleId::ItemMissingGuid,
            "the item has no `<guid>`",
            at,
        )),
    }
    match &item.pub_date {
        None => out.push(Diagnostic::new(
            RuleId::ItemMissingPubdate,
            "the item has no `<pubDate>`",
            at,
        )),
        Some(p) => {
            if parse_pubdate(&p.text, zone).is_none() {
                out.push(Diagnostic::new(
                    RuleId::ItemInvalidPubdate,
                    format!(
                        "`<pubDate>` `{}` is neither an RFC 822 nor an ISO 8601 date-time",
                        p.text.trim()
                    ),
                    Some(p.position),
                ));
            }
        }
    }
    (out, content_ok)
}
