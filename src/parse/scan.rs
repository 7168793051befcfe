//! The source tag scan: every start and end tag of an article's HTML *as written*, with its
//! byte offset.
//!
//! It follows the HTML tokenizer closely enough (comments, doctypes, raw-text elements,
//! quoted attribute values) to see the same tag tokens, so the tree builder's elements can
//! be matched to source positions, and it keeps the source nesting that the paragraph rules
//! are decided on (rules.md, Paragraph rules and HTML5 parsing).

use html5ever::LocalName;
use memchr::memchr;

/// Elements nested deeper than this in the source are flattened (`nesting-too-deep`).
pub const MAX_SOURCE_DEPTH: usize = 512;

/// Start or end tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    /// `<name …>`.
    Start,
    /// `</name>`.
    End,
}

/// One tag token as written.
#[derive(Clone, Debug)]
pub struct SourceTag {
    /// Start or end.
    pub kind: TagKind,
    /// Lower-cased tag name.
    pub name: LocalName,
    /// Byte offset of the `<`.
    pub offset: usize,
    /// Byte offset just past the `>`.
    pub end: usize,
    /// For a start tag: a `p` was open in the source when it started.
    pub in_source_p: bool,
    /// After this tag, a `p` is open in the source.
    pub p_open_after: bool,
    /// For a start tag: offset of the end tag (or the start of whatever else) that closed
    /// it in the source; the input's length when nothing did.
    pub close: usize,
    /// The tag is nested deeper than [`MAX_SOURCE_DEPTH`] (or closes one that is) and is
    /// dropped before tree building.
    pub too_deep: bool,
}

/// The scan of one document.
#[derive(Debug, Default)]
pub struct SourceScan {
    /// Every tag token, in source order.
    pub tags: Vec<SourceTag>,
    /// Offset of the first start tag nested too deep, if any.
    pub first_too_deep: Option<usize>,
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "image", "param", "keygen", "basefont", "bgsound", "frame",
];
const RAW_TEXT: &[&str] = &[
    "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title",
];

/// Scans `html` for tag tokens.
pub fn scan(html: &str) -> SourceScan {
    let bytes = html.as_bytes();
    let mut out = SourceScan::default();
    // The source stack: names of open elements as written, and how many are `p`.
    let mut stack: Vec<(LocalName, usize)> = Vec::new();
    let mut open_p = 0usize;
    // Tags dropped for depth, so their end tags are dropped too.
    let mut dropped_depth = 0usize;
    let mut i = 0;
    let n = bytes.len();
    while let Some(rel) = memchr(b'<', &bytes[i..]) {
        let lt = i + rel;
        i = lt + 1;
        let Some(&next) = bytes.get(i) else { break };
        match next {
            b'!' => {
                if bytes[i..].starts_with(b"!--") {
                    // `<!-->` and `<!--->` close at once.
                    let body = i + 3;
                    i = if bytes[body..].starts_with(b">") {
                        body + 1
                    } else if bytes[body..].starts_with(b"->") {
                        body + 2
                    } else {
                        find(bytes, body, b"-->").map_or(n, |p| p + 3)
                    };
                } else {
                    i = memchr(b'>', &bytes[i..]).map_or(n, |p| i + p + 1);
                }
            }
            b'?' => i = memchr(b'>', &bytes[i..]).map_or(n, |p| i + p + 1),
            b'/' => {
                let Some(&c) = bytes.get(i + 1) else { break };
                if c == b'>' {
                    i += 2;
                    continue;
                }
                if !c.is_ascii_alphabetic() {
                    i = memchr(b'>', &bytes[i..]).map_or(n, |p| i + p + 1);
                    continue;
                }
                let (name, after_name) = tag_name(bytes, i + 1);
                let Some(end) = tag_end(bytes, after_name) else {
                    break;
                };
                i = end;
                // Inside a region dropped for depth, end tags close the dropped elements;
                // elsewhere an end tag pops to its matching start tag, or is ignored.
                let dropped = dropped_depth > 0 && !RAW_TEXT.contains(&&*name);
                if dropped {
                    dropped_depth -= 1;
                } else if let Some(pos) = stack.iter().rposition(|s| s.0 == name) {
                    for (s, index) in stack.drain(pos..) {
                        if &*s == "p" {
                            open_p -= 1;
                        }
                        out.tags[index].close = lt;
                    }
                }
                out.tags.push(SourceTag {
                    kind: TagKind::End,
                    name,
                    offset: lt,
                    end,
                    in_source_p: false,
                    p_open_after: open_p > 0,
                    close: end,
                    too_deep: dropped,
                });
            }
            c if c.is_ascii_alphabetic() => {
                let (name, after_name) = tag_name(bytes, i);
                let Some(end) = tag_end(bytes, after_name) else {
                    break;
                };
                let self_closing = end >= 2 && bytes[end - 2] == b'/';
                i = end;
                let in_p = open_p > 0;
                let is_void = VOID.contains(&&*name);
                let raw = RAW_TEXT.contains(&&*name);
                let too_deep = !is_void && !raw && stack.len() >= MAX_SOURCE_DEPTH;
                if too_deep {
                    out.first_too_deep.get_or_insert(lt);
                    dropped_depth += 1;
                } else if !is_void && !(self_closing && is_foreign_like(&name)) {
                    if &*name == "p" {
                        open_p += 1;
                    }
                    stack.push((name.clone(), out.tags.len()));
                }
                let plaintext = &*name == "plaintext";
                out.tags.push(SourceTag {
                    kind: TagKind::Start,
                    name: name.clone(),
                    offset: lt,
                    end,
                    in_source_p: in_p,
                    p_open_after: open_p > 0,
                    close: n,
                    too_deep,
                });
                if plaintext {
                    break;
                }
                if raw {
                    // Raw text runs to the matching end tag, which the tokenizer emits.
                    i = find_end_tag(bytes, i, &name).unwrap_or(n);
                }
            }
            _ => {}
        }
        if i >= n {
            break;
        }
    }
    out
}

/// Self-closing syntax only closes foreign (SVG/MathML) elements; this keeps the source
/// stack from growing on `<svg/>`-style markup.
fn is_foreign_like(name: &str) -> bool {
    matches!(
        name,
        "svg"
            | "math"
            | "path"
            | "circle"
            | "rect"
            | "line"
            | "polygon"
            | "polyline"
            | "use"
            | "ellipse"
            | "g"
            | "stop"
            | "mi"
            | "mo"
            | "mn"
    )
}

fn tag_name(bytes: &[u8], start: usize) -> (LocalName, usize) {
    let mut end = start;
    while end < bytes.len()
        && !matches!(
            bytes[end],
            b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'/' | b'>'
        )
    {
        end += 1;
    }
    let raw = String::from_utf8_lossy(&bytes[start..end]).to_ascii_lowercase();
    (LocalName::from(raw.as_str()), end)
}

/// Offset just past the `>` that ends a tag whose attributes start at `from`.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let n = bytes.len();
    while i < n {
        match bytes[i] {
            b'>' => return Some(i + 1),
            b'=' => {
                i += 1;
                while i < n && matches!(bytes[i], b'\t' | b'\n' | b'\x0C' | b'\r' | b' ') {
                    i += 1;
                }
                if i < n && (bytes[i] == b'"' || bytes[i] == b'\'') {
                    let q = bytes[i];
                    i = memchr(q, &bytes[i + 1..]).map(|p| i + 1 + p + 1)?;
                    continue;
                }
            }
            _ => i += 1,
        }
    }
    None
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(p) = memchr(needle[0], &bytes[i..]) {
        let at = i + p;
        if bytes[at..].starts_with(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// The offset of `</name` (case-insensitive, followed by a tag-ending character) at or
/// after `from`.
fn find_end_tag(bytes: &[u8], from: usize, name: &str) -> Option<usize> {
    let mut i = from;
    while let Some(p) = memchr(b'<', &bytes[i..]) {
        let at = i + p;
        let after = at + 2 + name.len();
        if bytes.get(at + 1) == Some(&b'/')
            && bytes.len() >= after
            && bytes[at + 2..after].eq_ignore_ascii_case(name.as_bytes())
            && matches!(
                bytes.get(after),
                None | Some(b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'/' | b'>')
            )
        {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_written_inside_p_is_in_source_p() {
        let s = scan("<p>a<a href='x>y'><figure><img src=x></figure></a></p><figure>");
        let figs: Vec<_> = s
            .tags
            .iter()
            .filter(|t| &*t.name == "figure" && t.kind == TagKind::Start)
            .collect();
        assert!(figs[0].in_source_p);
        assert!(!figs[1].in_source_p);
    }

    #[test]
    fn raw_text_and_comments_hide_tags() {
        let s = scan("<!-- <p> --><script>if (a<b) '<p>'</script><p>");
        let names: Vec<_> = s
            .tags
            .iter()
            .map(|t| (t.kind, t.name.to_string()))
            .collect();
        assert_eq!(
            names,
            vec![
                (TagKind::Start, "script".into()),
                (TagKind::End, "script".into()),
                (TagKind::Start, "p".into())
            ]
        );
    }

    #[test]
    fn deep_nesting_is_flagged() {
        let html = "<div>".repeat(MAX_SOURCE_DEPTH + 3);
        let s = scan(&html);
        assert_eq!(s.tags.iter().filter(|t| t.too_deep).count(), 3);
        assert_eq!(s.first_too_deep, Some(MAX_SOURCE_DEPTH * 5));
    }
}
