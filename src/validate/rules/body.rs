//! Body text rules (docs/rules.md): structure, paragraphs, lists, links, line breaks.
//!
//! The paragraph rules are decided on the source nesting (the tags as written), since an
//! HTML5 parser closes an open `<p>` when a `<figure>` or `<blockquote>` starts; all other
//! rules read the HTML5 tree.

use html5ever::{LocalName, local_name};

use crate::model::CanonicalUrl;
use crate::parse::dom::{Dom, NodeData, NodeId, is_blank};
use crate::validate::RuleId;
use crate::validate::context::{Checker, FigureKind};

use super::values::{image_renders, is_absolute_url, video_renders};

/// Elements kept as text inside text blocks.
const INLINE: &[&str] = &[
    "a", "b", "strong", "i", "em", "br", "span", "u", "s", "sub", "sup", "small", "mark", "q",
    "abbr", "code", "time", "del", "ins", "cite",
];

// The per-element tests below compare atoms (one integer compare each), not strings: they
// run for every element of every article.

fn is_text_block(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("p")
            | local_name!("li")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("blockquote")
            | local_name!("aside")
            | local_name!("figcaption")
            | local_name!("cite")
    )
}

fn is_media(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("img")
            | local_name!("iframe")
            | local_name!("video")
            | local_name!("audio")
            | local_name!("svg")
            | local_name!("script")
    )
}

/// Runs the body rules; `relative-url` shows relative URLs resolved against `canonical`.
pub fn check(c: &mut Checker, canonical: Option<&CanonicalUrl>) {
    if let Some(offset) = c.article.scan.first_too_deep {
        c.report_offset(
            RuleId::NestingTooDeep,
            offset,
            format!(
                "elements are nested more than {} levels deep; deeper tags are ignored and their text kept",
                crate::parse::tokenizer::MAX_SOURCE_DEPTH
            ),
        );
    }
    let Some(article) = c.article.ia.article else {
        return;
    };
    find_unsupported(c, article);
    let elements = c.article_elements();
    let dom = c.dom;
    paragraph_nesting(c, &elements);
    for &el in &elements {
        let Some(name) = dom.name(el).cloned() else {
            continue;
        };
        if c.in_unsupported(el) {
            continue;
        }
        match name {
            local_name!("figure") if !c.in_header(el) && !c.in_footer(el) => {
                figure_placement(c, el, article);
            }
            local_name!("ul") | local_name!("ol") => list_empty(c, el),
            local_name!("li") => image_in_list_item(c, el),
            local_name!("a") => anchor(c, el),
            local_name!("script") if !dom.has_class(el, "op-geotag") => c.report(
                RuleId::ScriptOutsideEmbed,
                el,
                "a `<script>` outside an embed's iframe is dropped; put it in an op-interactive, op-social, op-ad or op-tracker iframe",
            ),
            _ => {}
        }
        if is_media(&name) && media_in_paragraph(dom, el) {
            c.report(
                RuleId::MediaInParagraph,
                el,
                format!("a `<{name}>` inside a paragraph: media must stand in its own `<figure>`"),
            );
        }
        if is_text_block(&name) {
            line_breaks(c, el);
        }
        empty_element(c, el, &name);
        relative_url(c, el, &name, canonical);
    }
    text_outside_paragraph(c, article);
    empty_body(c, article);
}

/// Where an element may stand for `unsupported-element`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Article,
    Header,
    Footer,
    Text,
    List,
}

fn find_unsupported(c: &mut Checker, article: NodeId) {
    let dom = c.dom;
    let header = c.article.ia.header.node;
    let footer = c.article.ia.footer;
    let mut stack: Vec<(NodeId, Flow)> = dom
        .child_elements(article)
        .map(|ch| (ch, Flow::Article))
        .collect();
    stack.reverse();
    let mut found = Vec::new();
    while let Some((el, flow)) = stack.pop() {
        let Some(name) = dom.name(el).cloned() else {
            continue;
        };
        let next = match flow {
            _ if Some(el) == header => Some(Flow::Header),
            _ if Some(el) == footer => Some(Flow::Footer),
            Flow::Article => match &*name {
                "p" | "h1" | "h2" | "blockquote" | "aside" => Some(Flow::Text),
                "ul" | "ol" => Some(Flow::List),
                "div" | "span" => Some(Flow::Article),
                // Covered by more specific rules, or checked by the media and embed rules.
                "figure" | "script" | "audio" | "figcaption" | "address" => None,
                n if INLINE.contains(&n) => Some(Flow::Text),
                _ => {
                    found.push(el);
                    None
                }
            },
            Flow::Header => match &*name {
                "h1" | "h2" | "h3" | "address" | "time" => Some(Flow::Text),
                "figure" => None,
                "section" if dom.has_class(el, "op-ad-template") => None,
                "ul" if dom.has_class(el, "op-sponsors") => None,
                "script" => None,
                _ => {
                    found.push(el);
                    None
                }
            },
            // Other footer children are `footer-unsupported-child`.
            Flow::Footer => match &*name {
                "aside" | "small" => Some(Flow::Text),
                _ => None,
            },
            Flow::Text => match &*name {
                "p" | "blockquote" | "div" => Some(Flow::Text),
                "ul" | "ol" => Some(Flow::List),
                n if INLINE.contains(&n) => Some(Flow::Text),
                "figure" | "address" => None,
                _ if is_media(&name) => None,
                _ => {
                    found.push(el);
                    None
                }
            },
            Flow::List => match &*name {
                "li" => Some(Flow::Text),
                "ul" | "ol" => Some(Flow::List),
                _ if dom.has_class(el, "op-related-articles") => None,
                _ => {
                    found.push(el);
                    None
                }
            },
        };
        let next = if flow == Flow::Article
            && &*name == "ul"
            && dom.has_class(el, "op-related-articles")
        {
            None
        } else {
            next
        };
        if let Some(next) = next {
            let mut kids: Vec<_> = dom.child_elements(el).map(|ch| (ch, next)).collect();
            kids.reverse();
            stack.extend(kids);
        }
    }
    for el in found {
        let name = dom.name(el).map(|n| n.to_string()).unwrap_or_default();
        c.report(
            RuleId::UnsupportedElement,
            el,
            format!(
                "`<{name}>` has no Instant Articles equivalent; it and its content are dropped"
            ),
        );
        c.mark_unsupported(el);
    }
}

fn paragraph_nesting(c: &mut Checker, elements: &[NodeId]) {
    let dom = c.dom;
    for &el in elements {
        let Some(e) = dom.element(el) else { continue };
        let Some(source) = e.source else { continue };
        let tag = &c.article.scan.tags[source as usize];
        if !tag.in_source_p {
            continue;
        }
        if e.name.local == local_name!("figure") {
            c.report(
                RuleId::FigureInParagraph,
                el,
                "a `<figure>` written inside a `<p>`: figures must be direct children of `<article>`",
            );
            c.figures_in_paragraph.push(el);
        } else if e.name.local == local_name!("blockquote") {
            c.report(
                RuleId::BlockquoteInParagraph,
                el,
                "a `<blockquote>` written inside a `<p>`",
            );
        }
    }
}

fn figure_placement(c: &mut Checker, fig: NodeId, article: NodeId) {
    let dom = c.dom;
    let Some(parent) = dom.parent(fig) else {
        return;
    };
    if parent == article || c.figures_in_paragraph.contains(&fig) {
        return;
    }
    let parent_is_figure = dom.is(parent, &local_name!("figure"));
    if parent_is_figure {
        // Slideshow slides and wrapped figures are the media rules' business.
        return;
    }
    if dom.is(parent, &local_name!("li"))
        || dom
            .ancestor(fig, |a| dom.is(a, &local_name!("li")))
            .is_some()
    {
        // `image-in-list-item` says it more precisely.
        return;
    }
    let parent_name = dom.name(parent).map(|n| n.to_string()).unwrap_or_default();
    c.report(
        RuleId::FigureNotDirectChild,
        fig,
        format!(
            "a `<figure>` inside `<{parent_name}>`: figures must be direct children of `<article>`"
        ),
    );
}

fn media_in_paragraph(dom: &Dom, el: NodeId) -> bool {
    let nearest = dom.ancestor(el, |a| {
        dom.is(a, &local_name!("p")) || dom.is(a, &local_name!("figure"))
    });
    nearest.is_some_and(|n| dom.is(n, &local_name!("p")))
}

fn line_breaks(c: &mut Checker, block: NodeId) {
    let dom = c.dom;
    let mut total = 0;
    let mut run = 0;
    let mut run_reported = false;
    let mut first_in_run = None;
    for child in dom.children(block) {
        match &dom.node(child).data {
            NodeData::Text { text, .. } if is_blank(text) => continue,
            NodeData::Other => continue,
            _ => {}
        }
        if dom.is(child, &local_name!("br")) {
            total += 1;
            run += 1;
            if run == 1 {
                first_in_run = Some(child);
                run_reported = false;
            }
            if run >= 2 && !run_reported {
                run_reported = true;
                if let Some(first) = first_in_run {
                    c.report(
                        RuleId::ConsecutiveLineBreaks,
                        first,
                        "two or more `<br>` in a row; use separate paragraphs",
                    );
                }
            }
        } else {
            run = 0;
        }
    }
    if total > 5 {
        c.report(
            RuleId::TooManyLineBreaks,
            block,
            format!("{total} `<br>` in one text block; at most 5 are allowed"),
        );
    }
}

fn in_link_list(dom: &Dom, el: NodeId) -> bool {
    dom.ancestor(el, |a| {
        dom.is(a, &local_name!("ul"))
            && (dom.has_class(a, "op-related-articles") || dom.has_class(a, "op-sponsors"))
    })
    .is_some()
}

fn empty_element(c: &mut Checker, el: NodeId, name: &LocalName) {
    let checked = matches!(
        *name,
        local_name!("p")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("li")
            | local_name!("blockquote")
            | local_name!("aside")
            | local_name!("cite")
            | local_name!("small")
            | local_name!("figcaption")
            | local_name!("b")
            | local_name!("i")
            | local_name!("em")
            | local_name!("strong")
            | local_name!("a")
    );
    let dom = c.dom;
    if !checked || !dom.from_source(el) || !dom.is_text_empty(el) {
        return;
    }
    if dom.has_media_inside(el) || in_link_list(dom, el) {
        return;
    }
    if c.article.ia.header.titles.first() == Some(&el) {
        return; // missing-title says it.
    }
    if *name == local_name!("a")
        && dom
            .ancestor(el, |a| dom.is(a, &local_name!("address")))
            .is_some()
    {
        return; // author-missing-name says it.
    }
    if *name == local_name!("p") && !source_p_is_empty(c, el) {
        return;
    }
    c.report(
        RuleId::EmptyElement,
        el,
        format!("`<{name}>` has no text; it is dropped"),
    );
}

/// A `p` that is empty in the tree may have held a figure or text in the source, which the
/// parser moved out: decided on the source.
fn source_p_is_empty(c: &Checker, p: NodeId) -> bool {
    let Some(source) = c.dom.element(p).and_then(|e| e.source) else {
        return true;
    };
    let tag = &c.article.scan.tags[source as usize];
    let html = &c.article.source.html;
    let inner = html.get(tag.end..tag.close.min(html.len())).unwrap_or("");
    let mut text_outside_tags = String::new();
    let mut rest = inner;
    while let Some(lt) = rest.find('<') {
        text_outside_tags.push_str(&rest[..lt]);
        let tag_text = &rest[lt..];
        let lower: String = tag_text
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        if [
            "<figure", "<img", "<video", "<iframe", "<svg", "<audio", "<blockq",
        ]
        .iter()
        .any(|m| lower.starts_with(m))
        {
            return false;
        }
        rest = match tag_text.find('>') {
            Some(gt) => &tag_text[gt + 1..],
            None => "",
        };
    }
    text_outside_tags.push_str(rest);
    let decoded = text_outside_tags
        .replace("&nbsp;", " ")
        .replace("&#160;", " ");
    is_blank(&decoded)
}

fn list_empty(c: &mut Checker, list: NodeId) {
    let dom = c.dom;
    if dom.has_class(list, "op-related-articles")
        || dom.has_class(list, "op-sponsors")
        || in_link_list(dom, list)
    {
        return;
    }
    let non_empty = dom.child_elements(list).any(|li| {
        dom.is(li, &local_name!("li")) && (!dom.is_text_empty(li) || dom.has_media_inside(li))
    });
    if !non_empty {
        c.report(
            RuleId::ListEmpty,
            list,
            "this list has no item with content; it is dropped",
        );
    }
}

fn image_in_list_item(c: &mut Checker, li: NodeId) {
    let dom = c.dom;
    let media: Vec<NodeId> = dom
        .descendants(li)
        .filter(|d| dom.is(*d, &local_name!("img")) || dom.is(*d, &local_name!("figure")))
        .filter(|d| {
            // The outermost only, and only for this list item.
            let nearest = dom.ancestor(*d, |a| {
                dom.is(a, &local_name!("li")) || dom.is(a, &local_name!("figure"))
            });
            nearest == Some(li)
        })
        .collect();
    for m in media {
        c.report(
            RuleId::ImageInListItem,
            m,
            "media inside a list item is not supported; move it into its own `<figure>`",
        );
    }
}

fn anchor(c: &mut Checker, a: NodeId) {
    let dom = c.dom;
    if !dom.from_source(a) || in_link_list(dom, a) {
        return;
    }
    if dom
        .ancestor(a, |x| dom.is(x, &local_name!("address")))
        .is_some()
    {
        return;
    }
    if dom.attr(a, "href").is_none_or(|h| h.trim().is_empty()) {
        c.report(
            RuleId::AnchorMissingHref,
            a,
            "a link without `href`: the text is kept, the link dropped",
        );
    }
}

fn relative_url(c: &mut Checker, el: NodeId, name: &LocalName, canonical: Option<&CanonicalUrl>) {
    let attr = match &**name {
        "img" | "iframe" | "source" => "src",
        "a" => "href",
        _ => return,
    };
    let dom = c.dom;
    if *name == local_name!("a") && !dom.from_source(el) {
        return;
    }
    let Some(value) = dom.attr(el, attr) else {
        return;
    };
    let value = value.trim();
    if value.is_empty() || is_absolute_url(value) {
        return;
    }
    let resolved = canonical
        .and_then(|base| base.url().join(value).ok())
        .map(|u| format!("; resolved against the canonical URL as `{u}`"))
        .unwrap_or_default();
    c.report(
        RuleId::RelativeUrl,
        el,
        format!("`{attr}=\"{value}\"` is not an absolute URL{resolved}"),
    );
}

fn text_outside_paragraph(c: &mut Checker, article: NodeId) {
    let dom = c.dom;
    let mut hits = Vec::new();
    let mut stack = vec![article];
    while let Some(parent) = stack.pop() {
        for child in dom.children(parent) {
            match &dom.node(child).data {
                NodeData::Text {
                    text, in_source_p, ..
                } if !in_source_p && !is_blank(text) => {
                    hits.push((child, text.trim().chars().take(40).collect::<String>()));
                }
                NodeData::Element(e) if matches!(&*e.name.local, "div" | "span") => {
                    stack.push(child);
                }
                _ => {}
            }
        }
    }
    for (node, preview) in hits {
        c.report(
            RuleId::TextOutsideParagraph,
            node,
            format!("text directly in `<article>` (\"{preview}\") is dropped; wrap it in a `<p>`"),
        );
    }
}

fn empty_body(c: &mut Checker, article: NodeId) {
    let header = c.article.ia.header.node;
    let footer = c.article.ia.footer;
    let dom = c.dom;
    let mut stack: Vec<NodeId> = dom.child_elements(article).collect();
    while let Some(el) = stack.pop() {
        if Some(el) == header || Some(el) == footer || c.unsupported.contains(&el) {
            continue;
        }
        let Some(name) = dom.name(el) else { continue };
        let renders = match &**name {
            "div" | "span" => {
                stack.extend(dom.child_elements(el));
                false
            }
            "p" | "h1" | "h2" | "blockquote" | "aside" => !dom.is_text_empty(el),
            "ul" | "ol" => {
                !dom.has_class(el, "op-related-articles")
                    && dom
                        .child_elements(el)
                        .any(|li| dom.is(li, &local_name!("li")) && !dom.is_text_empty(li))
            }
            "figure" => figure_renders(c, el),
            _ => false,
        };
        if renders {
            return;
        }
    }
    c.report(
        RuleId::EmptyArticleBody,
        article,
        "the article body has no content: no text paragraph, list, quote or media that renders",
    );
}

fn figure_renders(c: &Checker, fig: NodeId) -> bool {
    let dom = c.dom;
    match c.figure_kind(fig) {
        FigureKind::Image => image_renders(dom, fig),
        FigureKind::Video => video_renders(dom, fig),
        FigureKind::Slideshow => dom.child_elements(fig).any(|f| {
            dom.is(f, &local_name!("figure")) && (image_renders(dom, f) || video_renders(dom, f))
        }),
        FigureKind::Interactive | FigureKind::Social => {
            c.iframe_child(fig).is_some_and(|i| c.iframe_has_source(i))
        }
        FigureKind::Map => dom.descendants(fig).any(|d| {
            dom.is(d, &local_name!("script"))
                && dom.has_class(d, "op-geotag")
                && !dom.is_text_empty(d)
        }),
        FigureKind::Ad | FigureKind::Tracker => false,
    }
}
