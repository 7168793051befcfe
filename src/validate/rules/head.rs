//! Document and head rules (docs/rules.md), canonical resolution included.

use html5ever::local_name;

use crate::model::CanonicalUrl;
use crate::parse::dom::{Dom, NodeId};
use crate::validate::RuleId;
use crate::validate::context::Checker;

/// Runs the document and head rules; returns the resolved canonical URL, which the body's
/// `relative-url` check resolves against.
pub fn check(c: &mut Checker) -> Option<CanonicalUrl> {
    let ia = &c.article.ia;
    let head_node = ia.head.node.or(ia.html);
    forbidden_character(c);
    missing_article_element(c);
    let canonical = resolve_canonical(c, head_node);
    if let Some(head_node) = head_node {
        multiple_canonical(c, head_node);
        markup_version(c, head_node);
        missing_charset(c, head_node);
    }
    auto_ad_placement(c);
    invalid_dir(c);
    stylesheet_ignored(c);
    canonical
}

/// `article-forbidden-character`: a control character XML forbids, at the first one. (In a
/// feed the reader refuses the whole feed first, so only an article read on its own gets
/// here with one.)
fn forbidden_character(c: &mut Checker) {
    if c.cx.item.is_some() {
        // An item's content: the feed reader checked every byte of the feed, and refuses a
        // character reference to such a character, so there is none to find.
        return;
    }
    if let Some((offset, ch)) = crate::model::first_forbidden_control(&c.article.source.html) {
        c.report_offset(
            RuleId::ArticleForbiddenCharacter,
            offset,
            format!(
                "the article holds the control character {}, which XML forbids and the store \
                 cannot keep; remove it (and any others after it)",
                crate::model::control_name(ch)
            ),
        );
    }
}

/// `missing-article-element`.
fn missing_article_element(c: &mut Checker) {
    let ia = &c.article.ia;
    if ia.article.is_some() {
        return;
    }
    match ia.body.or(ia.html) {
        Some(n) => c.report(
            RuleId::MissingArticleElement,
            n,
            "the document has no `<article>` element; nothing can be rendered",
        ),
        None => c.report_at(
            RuleId::MissingArticleElement,
            None,
            "the document has no `<article>` element",
        ),
    }
}

/// `multiple-canonical`: canonical links that disagree.
fn multiple_canonical(c: &mut Checker, head_node: NodeId) {
    let hrefs: Vec<&str> = c
        .article
        .ia
        .head
        .canonical_links
        .iter()
        .map(|(_, h)| h.as_str())
        .collect();
    if hrefs.len() > 1 && hrefs.iter().any(|h| *h != hrefs[0]) {
        c.report(
            RuleId::MultipleCanonical,
            head_node,
            format!(
                "{} canonical links with different URLs; the first (`{}`) is used",
                hrefs.len(),
                hrefs.iter().find(|h| !h.is_empty()).unwrap_or(&"")
            ),
        );
    }
}

/// `missing-markup-version` and `unknown-markup-version`.
fn markup_version(c: &mut Checker, head_node: NodeId) {
    match c.article.ia.head.markup_version {
        None => c.report(
            RuleId::MissingMarkupVersion,
            head_node,
            "no `<meta property=\"op:markup_version\" content=\"v1.0\">` in the head",
        ),
        Some(meta) => {
            let v = c.dom.attr(meta, "content").unwrap_or("").trim();
            if v != "v1.0" {
                c.report(
                    RuleId::UnknownMarkupVersion,
                    meta,
                    format!("markup version `{v}` is unknown; only `v1.0` exists"),
                );
            }
        }
    }
}

/// `missing-charset`.
fn missing_charset(c: &mut Checker, head_node: NodeId) {
    if c.article.ia.head.charset.is_none() {
        c.report(
            RuleId::MissingCharset,
            head_node,
            "no `<meta charset>` in the head",
        );
    }
}

/// `invalid-auto-ad-placement` and `auto-ads-without-header-ad`.
fn auto_ad_placement(c: &mut Checker) {
    let Some(meta) = c.article.ia.head.auto_ad_placement else {
        return;
    };
    let value = c.dom.attr(meta, "content").unwrap_or("");
    let normal = value.split_ascii_whitespace().collect::<Vec<_>>().join(" ");
    let enabled = match normal.as_str() {
        "false" => Some(false),
        "true"
        | "enable=true"
        | "enable=true ad_density=default"
        | "enable=true ad_density=medium"
        | "enable=true ad_density=low" => Some(true),
        _ => None,
    };
    match enabled {
        None => c.report(
            RuleId::InvalidAutoAdPlacement,
            meta,
            format!("automatic ad placement `{value}` is not `false`, `true` or `enable=true [ad_density=default|medium|low]`; treated as disabled"),
        ),
        Some(true) if !has_valid_header_ad(c) => {
            let at = c.article.ia.header.node.unwrap_or(meta);
            c.report(
                RuleId::AutoAdsWithoutHeaderAd,
                at,
                "automatic ad placement is enabled but the header has no `figure.op-ad` with a source to place",
            );
        }
        _ => {}
    }
}

/// `invalid-dir` on `<html>`.
fn invalid_dir(c: &mut Checker) {
    if let Some(html) = c.article.ia.html
        && let Some(dir) = c.dom.attr(html, "dir")
        && !matches!(
            dir.trim().to_ascii_lowercase().as_str(),
            "rtl" | "ltr" | "auto"
        )
    {
        c.report(
            RuleId::InvalidDir,
            html,
            format!("`dir=\"{dir}\"` is not `rtl`, `ltr` or `auto`"),
        );
    }
}

fn has_valid_header_ad(c: &Checker) -> bool {
    let dom = c.dom;
    let header = &c.article.ia.header;
    let in_templates = header.ad_templates.iter().flat_map(|t| {
        dom.child_elements(*t)
            .filter(|f| dom.is(*f, &local_name!("figure")) && dom.has_class(*f, "op-ad"))
    });
    header
        .ads
        .iter()
        .copied()
        .chain(in_templates)
        .any(|ad| c.iframe_child(ad).is_some_and(|i| c.iframe_has_source(i)))
}

/// Canonical resolution, exactly one outcome per article (docs/decisions.md, Canonical
/// resolution): the canonical URL, or `None` with `missing-canonical` or
/// `canonical-not-absolute` reported.
fn resolve_canonical(c: &mut Checker, head_node: Option<NodeId>) -> Option<CanonicalUrl> {
    let head_canonical = c.article.ia.head.canonical().cloned();
    let item_link = c.cx.item.and_then(|i| i.link.as_ref());
    if let Some((node, href)) = head_canonical {
        return match CanonicalUrl::parse(&href) {
            Some(url) => {
                if url.has_query_or_fragment() {
                    c.report(
                        RuleId::CanonicalHasQueryOrFragment,
                        node,
                        format!("canonical URL `{href}` has a query or fragment; it is stored exactly, so another query is another article"),
                    );
                }
                if let Some(domain) = c.cx.domain
                    && !domain.matches_host(&url.host())
                {
                    c.report(
                        RuleId::CanonicalDomainMismatch,
                        node,
                        format!("canonical URL `{href}` is not on the page's domain `{domain}` or a subdomain of it"),
                    );
                }
                if let Some(link) = item_link {
                    let link_text = link.text.trim_matches(|ch: char| ch.is_ascii_whitespace());
                    if !link_text.is_empty() && link_text != url.as_str() {
                        c.report_at(
                            RuleId::ItemLinkMismatch,
                            Some(link.position),
                            format!("item link `{link_text}` differs from the head canonical `{}`; the canonical wins", url.as_str()),
                        );
                    }
                }
                Some(url)
            }
            None => {
                c.report(
                    RuleId::CanonicalNotAbsolute,
                    node,
                    format!("canonical URL `{href}` is not an absolute http(s) URL with a host"),
                );
                None
            }
        };
    }
    let fallback = item_link.and_then(|l| CanonicalUrl::parse(&l.text).map(|u| (u, l.position)));
    match fallback {
        Some((url, link_position)) => {
            let at = head_node
                .map(|h| c.article.position(h))
                .or(Some(link_position));
            c.report_at(
                RuleId::CanonicalFromItemLink,
                at,
                format!("the head has no `<link rel=\"canonical\">`; the item link `{}` is used as the canonical URL", url.as_str()),
            );
            if let Some(domain) = c.cx.domain
                && !domain.matches_host(&url.host())
            {
                c.report_at(
                    RuleId::CanonicalDomainMismatch,
                    Some(link_position),
                    format!("canonical URL `{}` is not on the page's domain `{domain}` or a subdomain of it", url.as_str()),
                );
            }
            if url.has_query_or_fragment() {
                c.report_at(
                    RuleId::CanonicalHasQueryOrFragment,
                    Some(link_position),
                    format!("canonical URL `{}` has a query or fragment", url.as_str()),
                );
            }
            Some(url)
        }
        None => {
            let message = if c.cx.item.is_some() {
                "no `<link rel=\"canonical\" href=…>` in the head and no absolute item `<link>` to fall back on"
            } else {
                "no `<link rel=\"canonical\" href=…>` in the head"
            };
            match head_node {
                Some(h) => c.report(RuleId::MissingCanonical, h, message),
                None => c.report_at(
                    RuleId::MissingCanonical,
                    c.cx.item.map(|i| i.position),
                    message,
                ),
            }
            None
        }
    }
}

/// `stylesheet-ignored`: `<style>`, stylesheet links and `style` attributes.
fn stylesheet_ignored(c: &mut Checker) {
    let dom = c.dom;
    let mut found = Vec::new();
    for d in dom.descendants(Dom::ROOT) {
        let Some(el) = dom.element(d) else { continue };
        if el.name.local == local_name!("style") {
            found.push((d, "a `<style>` element"));
        } else if el.name.local == local_name!("link")
            && dom.attr(d, "rel").is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("stylesheet"))
            })
        {
            found.push((d, "a stylesheet link"));
        } else if dom.attr(d, "style").is_some()
            && dom
                .ancestor(d, |a| dom.is(a, &local_name!("iframe")))
                .is_none()
        {
            found.push((d, "a `style` attribute"));
        }
    }
    for (node, what) in found {
        c.report(
            RuleId::StylesheetIgnored,
            node,
            format!(
                "{what} is ignored: Instant Articles take their look from the page's article style"
            ),
        );
    }
}
