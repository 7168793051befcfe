//! Image, video, audio, slideshow and caption rules (docs/rules.md).

use html5ever::local_name;

use crate::parse::dom::NodeId;
use crate::validate::RuleId;
use crate::validate::context::{Checker, FigureKind};

use super::values::{
    host, image_renders, is_absolute_url, is_http, is_player_url, positive_int, sources_of_video,
    video_renders, video_sources,
};

const DATA_MODES: &[&str] = &[
    "aspect-fit",
    "aspect-fit-only",
    "fullscreen",
    "non-interactive",
];
const CAPTION_CLASSES: &[&str] = &[
    "op-small",
    "op-medium",
    "op-large",
    "op-extra-large",
    "op-left",
    "op-center",
    "op-right",
    "op-vertical-above",
    "op-vertical-below",
    "op-vertical-center",
    "op-vertical-top",
    "op-vertical-bottom",
];
/// Runs the media rules.
pub fn check(c: &mut Checker) {
    let dom = c.dom;
    for el in c.article_elements() {
        let Some(name) = dom.name(el).cloned() else {
            continue;
        };
        match &*name {
            "figure" => figure(c, el),
            "img" => image_source(c, el),
            "video" => video(c, el),
            "audio" => audio(c, el),
            "figcaption" => caption(c, el),
            _ => {}
        }
    }
}

fn figure(c: &mut Checker, fig: NodeId) {
    let dom = c.dom;
    let kind = c.figure_kind(fig);
    if let Some(mode) = dom.attr(fig, "data-mode")
        && !DATA_MODES.contains(&mode.trim())
    {
        c.report(
            RuleId::InvalidDataMode,
            fig,
            format!("`data-mode=\"{mode}\"` is not one of aspect-fit, aspect-fit-only, fullscreen, non-interactive"),
        );
    }
    if let Some(feedback) = dom.attr(fig, "data-feedback") {
        let ok = !feedback.trim().is_empty()
            && feedback
                .split(',')
                .all(|p| matches!(p.trim(), "fb:likes" | "fb:comments"));
        if !ok {
            c.report(
                RuleId::InvalidDataFeedback,
                fig,
                format!(
                    "`data-feedback=\"{feedback}\"` is not a comma list of fb:likes and fb:comments"
                ),
            );
        }
    }
    match kind {
        FigureKind::Image => {
            let parent_is_slideshow = dom.parent(fig).is_some_and(|p| {
                dom.is(p, &local_name!("figure")) && dom.has_class(p, "op-slideshow")
            });
            let img = dom
                .descendants(fig)
                .find(|d| dom.is(*d, &local_name!("img")));
            let src_empty = img
                .and_then(|i| dom.attr(i, "src"))
                .is_none_or(|s| s.trim().is_empty());
            if src_empty && !parent_is_slideshow {
                c.report(
                    RuleId::ImageMissingSrc,
                    fig,
                    "an image figure without an `<img src=…>`; it is dropped",
                );
            } else if src_empty {
                c.report(
                    RuleId::ImageMissingSrc,
                    fig,
                    "a slideshow image without an `<img src=…>`; it is dropped",
                );
            }
        }
        FigureKind::Video if video_sources(dom, fig).is_empty() => {
            c.report(
                RuleId::VideoMissingSource,
                fig,
                "a video figure without `<source src=…>`; it is dropped",
            );
        }
        FigureKind::Slideshow => slideshow(c, fig),
        _ => {}
    }
}

fn slideshow(c: &mut Checker, fig: NodeId) {
    let dom = c.dom;
    let mut captions = 0;
    let mut has_slide = false;
    for child in dom.child_elements(fig).collect::<Vec<_>>() {
        let name = dom.name(child).cloned().unwrap_or(local_name!(""));
        match &*name {
            "figure" => {
                if image_renders(dom, child) || video_renders(dom, child) {
                    has_slide = true;
                }
            }
            "figcaption" => {
                captions += 1;
                if captions == 2 {
                    c.report(RuleId::SlideshowMultipleCaptions, child, "a slideshow takes one `<figcaption>`; put per-image captions in each image's figure");
                }
            }
            "audio" => {}
            "script" if dom.has_class(child, "op-geotag") => {}
            other => c.report(
                RuleId::SlideshowUnsupportedChild,
                child,
                format!(
                    "`<{other}>` in a slideshow is not supported; slides are `<figure>` elements"
                ),
            ),
        }
    }
    if !has_slide {
        c.report(
            RuleId::SlideshowNoImages,
            fig,
            "a slideshow without any image or video slide; it is dropped",
        );
    }
}

fn image_source(c: &mut Checker, img: NodeId) {
    let dom = c.dom;
    let Some(src) = dom.attr(img, "src").map(str::trim) else {
        return;
    };
    if src.is_empty() {
        return;
    }
    let lower = src.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or("");
    let svg = path.ends_with(".svg")
        || lower.starts_with("data:image/svg+xml")
        || dom
            .attr(img, "type")
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("image/svg"));
    if svg {
        c.report(
            RuleId::ImageSvgUnsupported,
            img,
            format!("SVG images are not supported (`{}`)", short(src)),
        );
        return;
    }
    if is_absolute_url(src) && !is_http(src) {
        c.report(
            RuleId::ImageSrcNotHttp,
            img,
            format!(
                "image source `{}` is not an http(s) URL; images are fetched by URL",
                short(src)
            ),
        );
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

fn video(c: &mut Checker, video: NodeId) {
    let dom = c.dom;
    if dom.attr(video, "muted").is_some() {
        c.report(
            RuleId::VideoMutedUnsupported,
            video,
            "the `muted` attribute is not supported and is ignored",
        );
    }
    if dom.attr(video, "data-fb-disable-autoplay").is_some() {
        let w = dom.attr(video, "width").and_then(positive_int);
        let h = dom.attr(video, "height").and_then(positive_int);
        if let (Some(w), Some(h)) = (w, h)
            && w.saturating_mul(h) < 640 * 480
        {
            c.report(
                RuleId::VideoAutoplayDisabledSmall,
                video,
                format!("autoplay is disabled on a {w}×{h} video; keep autoplay for videos under 640×480"),
            );
        }
    }
    let in_cover = c.in_header(video);
    if in_cover {
        return; // cover-video-not-file speaks for header covers.
    }
    let sources: Vec<(NodeId, String)> = sources_of_video(dom, video).collect();
    for (node, src) in sources {
        if is_player_url(&src) {
            c.report(
                RuleId::VideoThirdPartyPlayer,
                node,
                format!("`{}` is a player or page URL, not a video file; embed players with op-interactive", host(&src).unwrap_or(src.clone())),
            );
        }
    }
}

fn audio(c: &mut Checker, audio: NodeId) {
    let dom = c.dom;
    let has_source = dom.attr(audio, "src").is_some_and(|s| !s.trim().is_empty())
        || dom.child_elements(audio).any(|s| {
            dom.is(s, &local_name!("source"))
                && dom.attr(s, "src").is_some_and(|v| !v.trim().is_empty())
        });
    if !has_source {
        c.report(
            RuleId::AudioMissingSource,
            audio,
            "an `<audio>` without `<source src=…>`",
        );
    }
    let figure = dom.ancestor(audio, |a| dom.is(a, &local_name!("figure")));
    let ok = figure.is_some_and(|f| {
        matches!(
            c.figure_kind(f),
            FigureKind::Image | FigureKind::Slideshow | FigureKind::Map
        )
    });
    if !ok {
        c.report(
            RuleId::AudioMisplaced,
            audio,
            "audio is only supported inside an image, slideshow or map figure",
        );
    }
}

fn caption(c: &mut Checker, cap: NodeId) {
    let dom = c.dom;
    let parent = dom.parent(cap);
    let parent_ok = parent.is_some_and(|p| {
        dom.is(p, &local_name!("figure"))
            && matches!(
                c.figure_kind(p),
                FigureKind::Image
                    | FigureKind::Video
                    | FigureKind::Slideshow
                    | FigureKind::Map
                    | FigureKind::Interactive
            )
    });
    if !parent_ok {
        c.report(RuleId::CaptionOutsideFigure, cap, "a `<figcaption>` only belongs in an image, video, slideshow, map or interactive figure");
    }
    check_caption_classes(c, cap);
    for child in dom.child_elements(cap).collect::<Vec<_>>() {
        let name = dom.name(child).cloned().unwrap_or(local_name!(""));
        match &*name {
            "h1" | "h2" | "cite" => check_caption_classes(c, child),
            "b" | "strong" | "i" | "em" | "a" | "br" | "span" => {}
            other => c.report(
                RuleId::CaptionUnsupportedChild,
                child,
                format!(
                    "`<{other}>` in a caption is not supported; captions hold text, h1, h2 and cite"
                ),
            ),
        }
    }
}

fn check_caption_classes(c: &mut Checker, el: NodeId) {
    let dom = c.dom;
    let bad: Vec<String> = dom
        .classes(el)
        .filter(|t| !CAPTION_CLASSES.contains(t))
        .map(str::to_string)
        .collect();
    if !bad.is_empty() {
        c.report(
            RuleId::CaptionInvalidClass,
            el,
            format!(
                "caption class `{}` is not a size, alignment or position class",
                bad.join(" ")
            ),
        );
    }
}
