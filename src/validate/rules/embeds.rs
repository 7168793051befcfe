//! Embed, ad, analytics and map rules (docs/rules.md).

use html5ever::local_name;

use crate::parse::dom::NodeId;
use crate::validate::RuleId;
use crate::validate::context::{Checker, FigureKind};

use super::values::{host, positive_int};

const KNOWN_OP_CLASSES: &[&str] = &[
    "op-ad",
    "op-ad-default",
    "op-tracker",
    "op-interactive",
    "op-social",
    "op-slideshow",
    "op-map",
];
const SOCIAL_HOSTS: &[&str] = &[
    "facebook.com",
    "fb.com",
    "fb.watch",
    "instagram.com",
    "twitter.com",
    "x.com",
    "youtube.com",
    "youtube-nocookie.com",
    "youtu.be",
    "vine.co",
];
const SOCIAL_CLASSES: &[&str] = &["fb-post", "fb-video", "instagram-media", "twitter-tweet"];

/// Runs the embed rules.
pub fn check(c: &mut Checker) {
    let dom = c.dom;
    for el in c.article_elements() {
        if dom.is(el, &local_name!("figure")) {
            figure_classes(c, el);
            match c.figure_kind(el) {
                FigureKind::Interactive => interactive(c, el),
                FigureKind::Social => social(c, el),
                FigureKind::Ad => ad(c, el),
                FigureKind::Tracker => tracker(c, el),
                FigureKind::Map => map(c, el),
                _ => {}
            }
        } else if dom.is(el, &local_name!("script")) && dom.has_class(el, "op-geotag") {
            geotag(c, el);
        } else if dom.is(el, &local_name!("section")) && dom.has_class(el, "op-ad-template") {
            let defaults: Vec<NodeId> = dom
                .child_elements(el)
                .filter(|f| dom.has_class(*f, "op-ad-default"))
                .collect();
            if defaults.len() > 1 {
                c.report(
                    RuleId::AdMultipleDefaults,
                    defaults[1],
                    "more than one `op-ad-default` in the ad template; only the first is used",
                );
            }
        }
    }
    let header_ads = c.article.ia.header.ads.clone();
    if header_ads.len() >= 2 {
        c.report(
            RuleId::AdsMultipleWithoutTemplate,
            header_ads[1],
            "several header ads must go in a `<section class=\"op-ad-template\">`",
        );
    }
}

fn figure_classes(c: &mut Checker, fig: NodeId) {
    let dom = c.dom;
    let bad: Vec<String> = dom
        .classes(fig)
        .filter(|t| {
            (t.starts_with("op-") && !KNOWN_OP_CLASSES.contains(t))
                || (*t == "op-ad-default" && !dom.has_class(fig, "op-ad"))
                || (t.starts_with("fb-") && *t != "fb-feed-cover")
        })
        .map(str::to_string)
        .collect();
    if !bad.is_empty() {
        c.report(
            RuleId::FigureUnsupportedClass,
            fig,
            format!(
                "unsupported figure class `{}`; the figure is treated as a plain figure",
                bad.join(" ")
            ),
        );
    }
}

fn interactive(c: &mut Checker, fig: NodeId) {
    let dom = c.dom;
    let Some(iframe) = c.iframe_child(fig).filter(|i| c.iframe_has_source(*i)) else {
        c.report(
            RuleId::InteractiveMissingIframe,
            fig,
            "an interactive figure needs an `<iframe>` with a `src` or inline HTML",
        );
        return;
    };
    let has_src = dom
        .attr(iframe, "src")
        .is_some_and(|s| !s.trim().is_empty());
    let width = dom.attr(iframe, "width");
    let height = dom.attr(iframe, "height");
    if has_src && !c.iframe_has_content(iframe) && (width.is_none() || height.is_none()) {
        c.report(
            RuleId::InteractiveMissingDimensions,
            iframe,
            "an embed by URL needs both `width` and `height`",
        );
    }
    if let Some(h) = height
        && positive_int(h).is_none_or(|v| v > 960)
    {
        c.report(
            RuleId::InteractiveHeightInvalid,
            iframe,
            format!("`height=\"{h}\"` is not a positive integer up to 960"),
        );
    }
    if let Some(w) = width
        && positive_int(w).is_none()
    {
        c.report(
            RuleId::InteractiveWidthInvalid,
            iframe,
            format!("`width=\"{w}\"` is not a positive integer"),
        );
    }
    let bad: Vec<&str> = dom
        .classes(iframe)
        .filter(|t| !matches!(*t, "no-margin" | "column-width"))
        .collect();
    if !bad.is_empty() {
        let msg = format!(
            "iframe class `{}` is not `no-margin` or `column-width`",
            bad.join(" ")
        );
        c.report(RuleId::InteractiveInvalidClass, iframe, msg);
    }
}

fn social(c: &mut Checker, fig: NodeId) {
    let dom = c.dom;
    c.report(
        RuleId::SocialEmbedDeprecated,
        fig,
        "`op-social` is deprecated; use `op-interactive`",
    );
    let Some(iframe) = c.iframe_child(fig).filter(|i| c.iframe_has_source(*i)) else {
        c.report(
            RuleId::SocialEmbedMissingIframe,
            fig,
            "a social embed needs an `<iframe>` with a `src` or the embed's HTML",
        );
        return;
    };
    let src_host = dom.attr(iframe, "src").and_then(host);
    let content = dom.text(iframe);
    let recognised = src_host.as_deref().is_some_and(is_social_host)
        || urls_in(&content).any(|u| host(u).as_deref().is_some_and(is_social_host))
        || SOCIAL_CLASSES
            .iter()
            .any(|cl| dom.has_class(fig, cl) || dom.has_class(iframe, cl) || content.contains(cl));
    if !recognised {
        c.report(
            RuleId::SocialEmbedUnsupportedProvider,
            iframe,
            "no supported social network (Facebook, Instagram, Twitter/X, YouTube, Vine) recognised in this embed",
        );
    }
}

fn is_social_host(host: &str) -> bool {
    SOCIAL_HOSTS
        .iter()
        .any(|d| crate::model::host_matches_domain(host, d))
}

fn urls_in(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("http").filter_map(|(i, _)| {
        let rest = &text[i..];
        let end = rest
            .find(|ch: char| ch.is_whitespace() || matches!(ch, '"' | '\'' | '<' | '>' | ')'))
            .unwrap_or(rest.len());
        let url = &rest[..end];
        (url.starts_with("http://") || url.starts_with("https://")).then_some(url)
    })
}

fn ad(c: &mut Checker, fig: NodeId) {
    let dom = c.dom;
    let Some(iframe) = c.iframe_child(fig).filter(|i| c.iframe_has_source(*i)) else {
        c.report(
            RuleId::AdMissingSource,
            fig,
            "an ad needs an `<iframe>` with a `src` or the ad's HTML",
        );
        return;
    };
    let w = dom.attr(iframe, "width");
    let h = dom.attr(iframe, "height");
    for (name, value) in [("width", w), ("height", h)] {
        if let Some(v) = value
            && positive_int(v).is_none()
        {
            c.report(
                RuleId::AdInvalidDimensions,
                iframe,
                format!("ad `{name}=\"{v}\"` is not a positive integer"),
            );
        }
    }
    if let (Some(w), Some(h)) = (w.and_then(positive_int), h.and_then(positive_int))
        && h * 2 > w * 3
    {
        c.report(
            RuleId::AdAspectRatioExceeded,
            iframe,
            format!("a {w}×{h} ad is taller than 2:3; it is cropped from the bottom"),
        );
    }
}

fn tracker(c: &mut Checker, fig: NodeId) {
    let dom = c.dom;
    let iframes: Vec<NodeId> = dom
        .child_elements(fig)
        .filter(|i| dom.is(*i, &local_name!("iframe")))
        .collect();
    if !iframes.iter().any(|i| c.iframe_has_source(*i)) {
        c.report(
            RuleId::TrackerMissingSource,
            fig,
            "analytics need an `<iframe>` with a `src` or the tracking HTML",
        );
    }
    if iframes.len() > 1 {
        c.report(
            RuleId::TrackerMultipleIframes,
            iframes[1],
            "use one `<iframe>` per `figure.op-tracker`",
        );
    }
}

fn map(c: &mut Checker, fig: NodeId) {
    let dom = c.dom;
    let has = dom.descendants(fig).any(|d| {
        dom.is(d, &local_name!("script")) && dom.has_class(d, "op-geotag") && !dom.is_text_empty(d)
    });
    if !has {
        c.report(
            RuleId::MapMissingGeotag,
            fig,
            "a map needs a `<script class=\"op-geotag\">` with GeoJSON; it is dropped",
        );
    }
}

fn geotag(c: &mut Checker, script: NodeId) {
    let dom = c.dom;
    let ty = dom.attr(script, "type").unwrap_or("");
    let ty_ok = ty
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/json");
    let text = dom.text(script);
    if !ty_ok {
        c.report(
            RuleId::GeotagInvalid,
            script,
            format!("geotag `type=\"{ty}\"` is not `application/json`"),
        );
    } else if !text.trim().is_empty() && !lenient_json(&text) {
        c.report(
            RuleId::GeotagInvalid,
            script,
            "the geotag's content is not JSON",
        );
    }
}

/// JSON as the platform read it: trailing commas before `}` or `]` are accepted.
fn lenient_json(text: &str) -> bool {
    let mut cleaned = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let chars: Vec<char> = text.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        if in_string {
            cleaned.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
            continue;
        }
        if ch == '"' {
            in_string = true;
        }
        if ch == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}') | Some(']')) {
                continue;
            }
        }
        cleaned.push(ch);
    }
    serde_json::from_str::<serde_json::Value>(&cleaned).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn trailing_commas_are_accepted() {
        assert!(super::lenient_json(r#"{"a": [1, 2,], "b": "x,}",}"#));
        assert!(!super::lenient_json("{not json"));
    }
}
