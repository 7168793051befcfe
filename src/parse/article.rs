//! An article's HTML parsed into the typed model of an Instant Article: head (canonical,
//! markup version, charset, style, ad placement, dir), header (cover, title, subtitle,
//! kicker, times, authors, ads, sponsors), body and footer, each tied to its DOM node for
//! positions.

use chrono_tz::Tz;
use html5ever::{LocalName, local_name};

use super::dom::{Dom, NodeId, parse_html};
use super::feed::ArticleSource;
use super::tokenizer::SourceScan;
use crate::model::{DateTimeValue, Position, parse_datetime};

/// A `time` element with its parsed `datetime`.
#[derive(Clone, Debug)]
pub struct TimeElement {
    /// The `time` element.
    pub node: NodeId,
    /// The `datetime` attribute as written, if present.
    pub raw: Option<String>,
    /// The parsed value, if it is a date-time.
    pub value: Option<DateTimeValue>,
}

/// The `<head>` of an article.
#[derive(Clone, Debug, Default)]
pub struct Head {
    /// The `head` element.
    pub node: Option<NodeId>,
    /// Every `link` in head whose `rel` has the token `canonical`, with its trimmed `href`.
    pub canonical_links: Vec<(NodeId, String)>,
    /// `meta[property=op:markup_version]`.
    pub markup_version: Option<NodeId>,
    /// `meta[charset]` (or an `http-equiv` content type with a charset).
    pub charset: Option<NodeId>,
    /// `meta[property=fb:article_style]`.
    pub article_style: Option<NodeId>,
    /// `meta[property=fb:use_automatic_ad_placement]`.
    pub auto_ad_placement: Option<NodeId>,
}

impl Head {
    /// The head canonical: the first canonical link with a non-empty `href`
    /// (docs/decisions.md, Canonical resolution, step 1).
    pub fn canonical(&self) -> Option<&(NodeId, String)> {
        self.canonical_links
            .iter()
            .find(|(_, href)| !href.is_empty())
    }
}

/// The `<header>` of an article.
#[derive(Clone, Debug, Default)]
pub struct Header {
    /// The `header` element.
    pub node: Option<NodeId>,
    /// `h1` children (the first is the title).
    pub titles: Vec<NodeId>,
    /// First `h2` child.
    pub subtitle: Option<NodeId>,
    /// `h3` children.
    pub kickers: Vec<NodeId>,
    /// Cover figures: `figure` children other than `op-ad` / `op-tracker`.
    pub covers: Vec<NodeId>,
    /// `figure.op-ad` children (outside any ad template).
    pub ads: Vec<NodeId>,
    /// `section.op-ad-template` children.
    pub ad_templates: Vec<NodeId>,
    /// `time.op-published` inside the header.
    pub published: Vec<TimeElement>,
    /// `time.op-modified` inside the header.
    pub modified: Vec<TimeElement>,
    /// `address` children.
    pub authors: Vec<NodeId>,
    /// `ul.op-sponsors` inside the header.
    pub sponsors: Vec<NodeId>,
}

impl Header {
    /// The first `op-published` time, parsed.
    pub fn published_time(&self) -> Option<DateTimeValue> {
        self.published.first().and_then(|t| t.value)
    }

    /// The first `op-modified` time, parsed.
    pub fn modified_time(&self) -> Option<DateTimeValue> {
        self.modified.first().and_then(|t| t.value)
    }
}

/// The typed model of one Instant Article.
#[derive(Clone, Debug, Default)]
pub struct InstantArticle {
    /// The `html` element.
    pub html: Option<NodeId>,
    /// The head.
    pub head: Head,
    /// The `body` element.
    pub body: Option<NodeId>,
    /// The first `article` element.
    pub article: Option<NodeId>,
    /// The header.
    pub header: Header,
    /// The first `footer` child of the article.
    pub footer: Option<NodeId>,
}

/// An article parsed: its source, the source scan, the HTML5 tree and the typed model.
#[derive(Debug)]
pub struct ParsedArticle {
    /// The HTML and its map to file positions.
    pub source: ArticleSource,
    /// Tags as written.
    pub scan: SourceScan,
    /// The HTML5 tree.
    pub dom: Dom,
    /// The typed model.
    pub ia: InstantArticle,
}

impl ParsedArticle {
    /// Parses an article's HTML, reading offset-less times in `zone`.
    pub fn parse(source: ArticleSource, zone: Tz) -> ParsedArticle {
        let (dom, scan) = parse_html(&source.html);
        let ia = build_model(&dom, zone);
        ParsedArticle {
            source,
            scan,
            dom,
            ia,
        }
    }

    /// The file position of a node.
    pub fn position(&self, node: NodeId) -> Position {
        self.source.position(self.dom.offset(node))
    }

    /// The file position of an HTML byte offset.
    pub fn offset_position(&self, offset: usize) -> Position {
        self.source.position(offset)
    }
}

fn build_model(dom: &Dom, zone: Tz) -> InstantArticle {
    let mut ia = InstantArticle {
        html: dom
            .child_elements(Dom::ROOT)
            .find(|c| dom.is(*c, &local_name!("html"))),
        ..Default::default()
    };
    let Some(html) = ia.html else { return ia };
    let head = dom
        .child_elements(html)
        .find(|c| dom.is(*c, &local_name!("head")));
    ia.body = dom
        .child_elements(html)
        .find(|c| dom.is(*c, &local_name!("body")));
    if let Some(head) = head {
        ia.head = build_head(dom, head);
    }
    let Some(body) = ia.body else { return ia };
    ia.article = dom
        .descendants(body)
        .find(|d| dom.is(*d, &local_name!("article")));
    let Some(article) = ia.article else { return ia };
    let header = dom
        .child_elements(article)
        .find(|c| dom.is(*c, &local_name!("header")));
    ia.footer = dom
        .child_elements(article)
        .find(|c| dom.is(*c, &local_name!("footer")));
    if let Some(header) = header {
        ia.header = build_header(dom, header, zone);
    }
    ia
}

fn build_head(dom: &Dom, head: NodeId) -> Head {
    let mut out = Head {
        node: Some(head),
        ..Head::default()
    };
    for el in dom.descendants(head) {
        let Some(name) = dom.name(el) else { continue };
        match name {
            n if *n == local_name!("link") => {
                let is_canonical = dom.attr(el, "rel").is_some_and(|rel| {
                    rel.split_ascii_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("canonical"))
                });
                if is_canonical {
                    let href = dom
                        .attr(el, "href")
                        .unwrap_or("")
                        .trim_matches(|c: char| c.is_ascii_whitespace())
                        .to_string();
                    out.canonical_links.push((el, href));
                }
            }
            n if *n == local_name!("meta") => {
                if dom.attr(el, "charset").is_some() && out.charset.is_none() {
                    out.charset = Some(el);
                }
                if dom
                    .attr(el, "http-equiv")
                    .is_some_and(|h| h.eq_ignore_ascii_case("content-type"))
                    && dom
                        .attr(el, "content")
                        .is_some_and(|c| c.to_ascii_lowercase().contains("charset="))
                    && out.charset.is_none()
                {
                    out.charset = Some(el);
                }
                let slot = match dom.attr(el, "property") {
                    Some("op:markup_version") => &mut out.markup_version,
                    Some("fb:article_style") => &mut out.article_style,
                    Some("fb:use_automatic_ad_placement") => &mut out.auto_ad_placement,
                    _ => continue,
                };
                slot.get_or_insert(el);
            }
            _ => {}
        }
    }
    out
}

fn time_element(dom: &Dom, node: NodeId, zone: Tz) -> TimeElement {
    let raw = dom.attr(node, "datetime").map(str::to_string);
    let value = raw.as_deref().and_then(|r| parse_datetime(r, zone));
    TimeElement { node, raw, value }
}

fn build_header(dom: &Dom, header: NodeId, zone: Tz) -> Header {
    let mut out = Header {
        node: Some(header),
        ..Header::default()
    };
    let is = |n: NodeId, name: LocalName| dom.is(n, &name);
    for child in dom.child_elements(header) {
        if is(child, local_name!("h1")) {
            out.titles.push(child);
        } else if is(child, local_name!("h2")) {
            out.subtitle.get_or_insert(child);
        } else if is(child, local_name!("h3")) {
            out.kickers.push(child);
        } else if is(child, local_name!("address")) {
            out.authors.push(child);
        } else if is(child, local_name!("section")) && dom.has_class(child, "op-ad-template") {
            out.ad_templates.push(child);
        } else if is(child, local_name!("figure")) {
            if dom.has_class(child, "op-ad") {
                out.ads.push(child);
            } else if !dom.has_class(child, "op-tracker") {
                out.covers.push(child);
            }
        }
    }
    for d in dom.descendants(header) {
        if is(d, local_name!("time")) {
            if dom.has_class(d, "op-published") {
                out.published.push(time_element(dom, d, zone));
            } else if dom.has_class(d, "op-modified") {
                out.modified.push(time_element(dom, d, zone));
            }
        } else if is(d, local_name!("ul")) && dom.has_class(d, "op-sponsors") {
            out.sponsors.push(d);
        }
    }
    out
}
