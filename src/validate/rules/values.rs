//! Attribute values as the platform reads them, for the checks of several groups: URLs and
//! their hosts, the sources of image and video figures, and dimensions.

use html5ever::local_name;

use crate::model::host_matches_domain;
use crate::parse::dom::{Dom, NodeId};

/// Hosts whose URLs are players or video pages, not video files (with their subdomains).
const PLAYER_HOSTS: &[&str] = &[
    "youtube.com",
    "youtube-nocookie.com",
    "youtu.be",
    "vimeo.com",
    "dailymotion.com",
    "dai.ly",
    "facebook.com",
    "fb.watch",
    "twitch.tv",
];
const VIDEO_EXTENSIONS: &[&str] = &[".mp4", ".m4v", ".mov", ".webm", ".ogv", ".m3u8", ".mpd"];

/// `true` for a URL with a scheme (`https:`, `data:`, `mailto:` …).
pub fn is_absolute_url(value: &str) -> bool {
    // A scheme: an ASCII letter, then letters, digits, `+`, `-` or `.`, then `:`.
    let b = value.trim_start().as_bytes();
    match b.iter().position(|&c| c == b':') {
        Some(colon) if colon > 0 => {
            b[0].is_ascii_alphabetic()
                && b[1..colon]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        }
        _ => false,
    }
}

/// `true` when `value` starts with `http://` or `https://`, in any case.
pub fn is_http(value: &str) -> bool {
    let b = value.as_bytes();
    let starts =
        |prefix: &[u8]| b.len() >= prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix);
    starts(b"http://") || starts(b"https://")
}

/// `true` for an http(s) URL, or a relative one (resolved against the canonical).
pub fn is_http_or_relative(src: &str) -> bool {
    let s = src.trim();
    !s.is_empty() && (is_http(s) || !is_absolute_url(s))
}

/// The host of an absolute URL, lower case and without a trailing dot.
pub fn host(url: &str) -> Option<String> {
    url_host(&url::Url::parse(url.trim()).ok()?)
}

/// The host of a parsed URL, lower case and without a trailing dot.
fn url_host(url: &url::Url) -> Option<String> {
    url.host_str()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
}

/// A third-party player or video page URL (docs/decisions.md, Video URLs).
pub fn is_player_url(src: &str) -> bool {
    let Ok(url) = url::Url::parse(src.trim()) else {
        return false;
    };
    let host = url_host(&url).unwrap_or_default();
    PLAYER_HOSTS.iter().any(|h| host_matches_domain(&host, h))
        || host.starts_with("player.")
        || url.path().contains("/embed/")
}

/// A URL whose path names a video file.
pub fn is_video_file_url(src: &str) -> bool {
    let path = src
        .split('?')
        .next()
        .unwrap_or("")
        .split('#')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    VIDEO_EXTENSIONS.iter().any(|e| path.ends_with(e))
}

/// `(element, src)` of one `video`'s sources: its own non-empty `src`, then its
/// `source[src]` children; `src` trimmed.
pub fn sources_of_video(dom: &Dom, video: NodeId) -> impl Iterator<Item = (NodeId, String)> + '_ {
    let own = dom
        .attr(video, "src")
        .filter(|s| !s.trim().is_empty())
        .map(|src| (video, src.trim().to_string()));
    let children = dom.child_elements(video).filter_map(move |source| {
        if !dom.is(source, &local_name!("source")) {
            return None;
        }
        let src = dom.attr(source, "src").filter(|s| !s.trim().is_empty())?;
        Some((source, src.trim().to_string()))
    });
    own.into_iter().chain(children)
}

/// `(source element, src)` of a video figure's sources: those of every `video` inside it.
pub fn video_sources(dom: &Dom, fig: NodeId) -> Vec<(NodeId, String)> {
    dom.descendants(fig)
        .filter(|d| dom.is(*d, &local_name!("video")))
        .flat_map(|video| sources_of_video(dom, video))
        .collect()
}

/// `true` when the first `img` in `fig` has an http(s) or relative `src`.
pub fn image_renders(dom: &Dom, fig: NodeId) -> bool {
    dom.descendants(fig)
        .find(|d| dom.is(*d, &local_name!("img")))
        .and_then(|img| dom.attr(img, "src"))
        .is_some_and(is_http_or_relative)
}

/// `true` when a video in `fig` has a source.
pub fn video_renders(dom: &Dom, fig: NodeId) -> bool {
    !video_sources(dom, fig).is_empty()
}

/// A positive integer attribute value, as the platform reads dimensions.
pub fn positive_int(value: &str) -> Option<u64> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u64>().ok().filter(|n| *n > 0)
}
