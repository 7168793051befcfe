//! Header rules (docs/rules.md): title, times, cover, kicker, authors, sponsors.

use html5ever::local_name;

use crate::parse::article::TimeElement;
use crate::parse::dom::NodeId;
use crate::validate::RuleId;
use crate::validate::context::{Checker, FigureKind};

use super::values::{is_player_url, is_video_file_url, video_sources};

/// Runs the header rules.
pub fn check(c: &mut Checker) {
    times_everywhere(c);
    let Some(article) = c.article.ia.article else {
        return;
    };
    let Some(header_node) = c.article.ia.header.node else {
        c.report(
            RuleId::MissingHeader,
            article,
            "the article has no `<header>`: its title and publication time live there",
        );
        return;
    };
    title(c, header_node);
    op_published(c, header_node);
    op_modified(c);
    cover(c);
    kicker_invalid(c);
    author_missing_name(c);
    sponsor_missing_url(c);
    misplaced_header_elements(c);
}

/// `missing-title` and `multiple-titles`.
fn title(c: &mut Checker, header_node: NodeId) {
    let titles = &c.article.ia.header.titles;
    match titles.first() {
        None => c.report(
            RuleId::MissingTitle,
            header_node,
            "the header has no `<h1>` title",
        ),
        Some(&h1) if c.dom.is_text_empty(h1) => c.report(
            RuleId::MissingTitle,
            h1,
            "the header's `<h1>` title is empty",
        ),
        Some(_) => {}
    }
    for &extra in titles.iter().skip(1) {
        c.report(
            RuleId::MultipleTitles,
            extra,
            "more than one `<h1>` in the header; only the first is the title",
        );
    }
}

/// `missing-op-published`, `invalid-op-published` and `multiple-op-published`.
fn op_published(c: &mut Checker, header_node: NodeId) {
    let published = &c.article.ia.header.published;
    match published.first() {
        None => c.report(
            RuleId::MissingOpPublished,
            header_node,
            "the header has no `<time class=\"op-published\" datetime=…>`",
        ),
        Some(t) if t.value.is_none() => c.report(
            RuleId::InvalidOpPublished,
            t.node,
            invalid_time_message(t, "op-published"),
        ),
        Some(_) => {}
    }
    for t in published.iter().skip(1) {
        c.report(
            RuleId::MultipleOpPublished,
            t.node,
            "more than one `op-published` time; the first is used",
        );
    }
}

/// `invalid-op-modified` and `op-modified-before-published`.
fn op_modified(c: &mut Checker) {
    let header = &c.article.ia.header;
    if let Some(t) = header.modified.first()
        && t.value.is_none()
    {
        c.report(
            RuleId::InvalidOpModified,
            t.node,
            format!(
                "{}; it is treated as absent, so later updates are refused",
                invalid_time_message(t, "op-modified")
            ),
        );
    }
    if let (Some(p), Some(m)) = (header.published_time(), header.modified_time())
        && m.instant < p.instant
    {
        let node = header.modified[0].node;
        c.report(
            RuleId::OpModifiedBeforePublished,
            node,
            format!(
                "`op-modified` ({}) is earlier than `op-published` ({})",
                m.instant.to_rfc3339(),
                p.instant.to_rfc3339()
            ),
        );
    }
}

/// `header-multiple-cover-figures`, `header-cover-unsupported` and `cover-video-not-file`.
fn cover(c: &mut Checker) {
    let dom = c.dom;
    for (i, &cover) in c.article.ia.header.covers.iter().enumerate() {
        if i > 0 {
            c.report(
                RuleId::HeaderMultipleCoverFigures,
                cover,
                "only one cover `<figure>` is allowed in the header; the others are dropped",
            );
        }
        let kind = c.figure_kind(cover);
        if matches!(
            kind,
            FigureKind::Interactive | FigureKind::Social | FigureKind::Map
        ) {
            c.report(
                RuleId::HeaderCoverUnsupported,
                cover,
                format!(
                    "a {} figure cannot be the cover; use an image, a video or a slideshow",
                    kind_name(kind)
                ),
            );
        }
        if kind == FigureKind::Video {
            for (source, src) in video_sources(dom, cover) {
                if is_player_url(&src) || !is_video_file_url(&src) {
                    c.report(
                        RuleId::CoverVideoNotFile,
                        source,
                        format!("cover video `{src}` is not a direct link to a video file"),
                    );
                }
            }
        }
    }
}

/// `kicker-invalid`: an `h3` in the header without `op-kicker`.
fn kicker_invalid(c: &mut Checker) {
    for &h3 in &c.article.ia.header.kickers {
        if !c.dom.has_class(h3, "op-kicker") {
            c.report(
                RuleId::KickerInvalid,
                h3,
                "an `<h3>` in the header is only read as a kicker with `class=\"op-kicker\"`",
            );
        }
    }
}

/// `author-missing-name`: the author's link, or the `address` itself, has no text.
fn author_missing_name(c: &mut Checker) {
    let dom = c.dom;
    for &address in &c.article.ia.header.authors {
        let anchor = dom
            .descendants(address)
            .find(|d| dom.is(*d, &local_name!("a")));
        let name_node = anchor.unwrap_or(address);
        if dom.is_text_empty(name_node) {
            c.report(
                RuleId::AuthorMissingName,
                address,
                "this author has no name; it is dropped",
            );
        }
    }
}

/// `sponsor-missing-url`: a sponsors list without a `<li><a href=…>`.
fn sponsor_missing_url(c: &mut Checker) {
    let dom = c.dom;
    for &ul in &c.article.ia.header.sponsors {
        let has_link = dom.child_elements(ul).any(|li| {
            dom.is(li, &local_name!("li"))
                && dom.child_elements(li).any(|a| {
                    dom.is(a, &local_name!("a"))
                        && dom.attr(a, "href").is_some_and(|h| !h.trim().is_empty())
                })
        });
        if !has_link {
            c.report(
                RuleId::SponsorMissingUrl,
                ul,
                "the sponsors list has no `<li><a href=…>` link",
            );
        }
    }
}

/// `author-outside-header` and `tracker-in-header-or-footer`, in one pass over the article.
fn misplaced_header_elements(c: &mut Checker) {
    let dom = c.dom;
    for el in c.article_elements() {
        if dom.is(el, &local_name!("address")) && !c.in_header(el) {
            c.report(
                RuleId::AuthorOutsideHeader,
                el,
                "an `<address>` (author) outside the header is not read",
            );
        }
        if dom.is(el, &local_name!("figure"))
            && dom.has_class(el, "op-tracker")
            && (c.in_header(el) || c.in_footer(el))
        {
            c.report(
                RuleId::TrackerInHeaderOrFooter,
                el,
                "analytics (`figure.op-tracker`) work only in the body",
            );
        }
    }
}

fn kind_name(kind: FigureKind) -> &'static str {
    match kind {
        FigureKind::Interactive => "`op-interactive`",
        FigureKind::Social => "`op-social`",
        FigureKind::Map => "`op-map`",
        FigureKind::Ad => "`op-ad`",
        FigureKind::Tracker => "`op-tracker`",
        FigureKind::Slideshow => "slideshow",
        FigureKind::Video => "video",
        FigureKind::Image => "image",
    }
}

fn invalid_time_message(t: &TimeElement, class: &str) -> String {
    match &t.raw {
        None => format!("`time.{class}` has no `datetime` attribute"),
        Some(raw) => format!("`time.{class}` datetime `{raw}` is not a date-time"),
    }
}

/// `datetime-without-timezone` on every `time[datetime]`, and `time-outside-header`.
fn times_everywhere(c: &mut Checker) {
    let dom = c.dom;
    let zone = c.cx.zone;
    let Some(root) = c.article.ia.html else {
        return;
    };
    let times: Vec<NodeId> = dom
        .descendants(root)
        .filter(|d| dom.is(*d, &local_name!("time")))
        .collect();
    for t in times {
        if let Some(raw) = dom.attr(t, "datetime")
            && let Some(v) = crate::model::parse_datetime(raw, zone)
            && !v.has_offset
        {
            c.report(
                RuleId::DatetimeWithoutTimezone,
                t,
                format!(
                    "datetime `{raw}` has no UTC offset; read as {} time ({})",
                    zone.name(),
                    v.instant.to_rfc3339()
                ),
            );
        }
        let is_op_time = dom.has_class(t, "op-published") || dom.has_class(t, "op-modified");
        if is_op_time && !c.in_header(t) {
            c.report(
                RuleId::TimeOutsideHeader,
                t,
                "`op-published`/`op-modified` times are read only inside the header",
            );
        }
    }
}
