//! Byte scans that stand in for quick-xml where the text allows: [`find_item`] finds where
//! the next item ends in what the reader has read ahead, so that its text can be cut out,
//! and [`read_plain_item`] reads an item's text that holds only plain markup, with the
//! reader's own state machine, giving up wherever quick-xml might read it otherwise.

use std::io::Read;
use std::sync::Arc;

use quick_xml::events::BytesStart;
use quick_xml::name::ResolveResult;

use super::item::{ItemScope, ReadItem};
use super::state::FeedState;
use super::well_formed::{check_attributes, resolve_reference};
use crate::model::Position;
use crate::parse::source::{DecodedReader, PositionCounter};

/// Items are cut out for [`ItemText::read`](super::ItemText::read) up to this size; a larger
/// one is read by the feed reader itself, so that what is read ahead stays small.
const MAX_ITEM_TEXT: usize = 1 << 20;

/// Where the item that starts after the next white space ends, when it can be cut out:
/// `(white space, item text)` lengths from the consumer's position.
///
/// An item is cut only where markup is read here exactly as the XML reader reads it: text
/// up to `<`; start, empty and end tags up to the first `>` outside quotes; comments up to
/// the first `-->`; CDATA sections up to the first `]]>`. Anything else (a processing
/// instruction, a DOCTYPE, an empty or namespace-declaring `item`, a decoding failure, the end
/// of the input, a text larger than [`MAX_ITEM_TEXT`]) leaves the item to the reader.
pub(super) fn find_item<R: Read>(source: &mut DecodedReader<R>) -> Option<(usize, usize)> {
    let mut scan = ItemScan::default();
    loop {
        let text = source.lookahead();
        match scan.scan(text) {
            Scan::Item { space, len } => return Some((space, len)),
            Scan::Unsure => return None,
            Scan::More => {
                if text.len() > MAX_ITEM_TEXT || !source.read_ahead() {
                    return None;
                }
            }
        }
    }
}

enum Scan {
    Item { space: usize, len: usize },
    More,
    Unsure,
}

/// The state of [`find_item`]'s scan, kept while more text is read.
#[derive(Default)]
struct ItemScan {
    /// Length of the white space before the item, once the item's start tag was read.
    space: Option<usize>,
    /// Where to go on.
    at: usize,
    /// Open elements.
    depth: usize,
    /// Inside a CDATA section or comment: its end delimiter and where to look for it.
    until: Option<(&'static [u8], usize)>,
}

impl ItemScan {
    fn scan(&mut self, text: &[u8]) -> Scan {
        let space = match self.space {
            Some(space) => space,
            None => {
                let Some(space) = text
                    .iter()
                    .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                else {
                    return Scan::More;
                };
                let rest = &text[space..];
                if rest.len() < 6 {
                    return if b"<item".starts_with(&rest[..rest.len().min(5)]) {
                        Scan::More
                    } else {
                        Scan::Unsure
                    };
                }
                if !rest.starts_with(b"<item")
                    || !matches!(rest[5], b' ' | b'\t' | b'\r' | b'\n' | b'>')
                {
                    return Scan::Unsure;
                }
                let Some(end) = tag_end(rest, 1) else {
                    return Scan::More;
                };
                let tag = &rest[..=end];
                if tag.ends_with(b"/>") || memchr::memmem::find(tag, b"xmlns").is_some() {
                    return Scan::Unsure;
                }
                self.space = Some(space);
                self.at = space + end + 1;
                self.depth = 1;
                space
            }
        };
        loop {
            if let Some((delimiter, from)) = self.until {
                match memchr::memmem::find(&text[from..], delimiter) {
                    Some(i) => {
                        self.at = from + i + delimiter.len();
                        self.until = None;
                    }
                    None => {
                        let from = text.len().saturating_sub(delimiter.len() - 1).max(from);
                        self.until = Some((delimiter, from));
                        return Scan::More;
                    }
                }
            }
            let Some(i) = memchr::memchr(b'<', &text[self.at..]) else {
                self.at = text.len();
                return Scan::More;
            };
            let lt = self.at + i;
            self.at = lt;
            let rest = &text[lt..];
            let Some(&second) = rest.get(1) else {
                return Scan::More;
            };
            match second {
                b'!' => {
                    if rest.starts_with(b"<!--") {
                        self.until = Some((b"-->", lt + 4));
                    } else if rest.starts_with(b"<![CDATA[") {
                        self.until = Some((b"]]>", lt + 9));
                    } else if rest.len() < 9
                        && (b"<![CDATA[".starts_with(rest) || b"<!--".starts_with(rest))
                    {
                        return Scan::More;
                    } else {
                        return Scan::Unsure;
                    }
                }
                b'?' => return Scan::Unsure,
                b'/' => {
                    let Some(end) = tag_end(rest, 1) else {
                        return Scan::More;
                    };
                    self.at = lt + end + 1;
                    self.depth -= 1;
                    if self.depth == 0 {
                        return Scan::Item {
                            space,
                            len: self.at - space,
                        };
                    }
                }
                _ => {
                    let Some(end) = tag_end(rest, 1) else {
                        return Scan::More;
                    };
                    // `<a/>` is empty; quick-xml decides by the tag's last two bytes.
                    if !(end >= 2 && rest[end - 1] == b'/') {
                        self.depth += 1;
                    }
                    self.at = lt + end + 1;
                }
            }
        }
    }
}

/// The index of the `>` that ends the tag whose name starts at `from` in `tag`: the first
/// one outside quotes, as quick-xml reads tags.
fn tag_end(tag: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for i in memchr::memchr3_iter(b'>', b'\'', b'"', &tag[from..]) {
        let i = from + i;
        match (quote, tag[i]) {
            (None, b'>') => return Some(i),
            (None, q) => quote = Some(q),
            (Some(q), b) if q == b => quote = None,
            _ => {}
        }
    }
    None
}

/// Reads an item's text without quick-xml when everything in it is plain: tags with their
/// end tags, text, references, CDATA sections, comments without `-`; events and their
/// handling are those of `read_event` (the reader's), and where quick-xml would see an error
/// (or anything else) this gives up with `None`, for quick-xml to read the text instead.
pub(super) fn read_plain_item(
    index: usize,
    position: Position,
    text: &str,
    scope: &ItemScope,
) -> Option<ReadItem> {
    let b = text.as_bytes();
    let mut resolver = scope.resolver.clone();
    let mut state = FeedState::in_channel(index, Arc::clone(&scope.entities), text.len());
    let mut counter = PositionCounter::new(position);
    let mut counted = 0;
    // Names of the open elements, as `(offset, length)` in `text`.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut pending_pop = false;
    let mut item = None;
    let mut at = 0;
    while item.is_none() {
        if pending_pop {
            resolver.pop();
            pending_pop = false;
        }
        let event = at;
        // Positions are counted up to where one is needed (end tags need none, so an
        // article's HTML at the end of the item is never counted).
        let mut position = || {
            counter.advance(&b[counted..event]);
            counted = event;
            counter.pos
        };
        match *b.get(at)? {
            b'<' => match *b.get(at + 1)? {
                b'!' if b[at..].starts_with(b"<![CDATA[") => {
                    let body = at + 9;
                    let end = body + memchr::memmem::find(&b[body..], b"]]>")?;
                    let position = position();
                    let origin = Position {
                        line: position.line,
                        column: position.column + 9,
                    };
                    state.text(&text[body..end], origin, true).ok()?;
                    at = end + 3;
                }
                b'!' if b[at..].starts_with(b"<!--") => {
                    let body = at + 4;
                    let end = body + memchr::memmem::find(&b[body..], b"-->")?;
                    if memchr::memchr(b'-', &b[body..end]).is_some() {
                        return None;
                    }
                    at = end + 3;
                }
                b'!' | b'?' => return None,
                b'/' => {
                    let close = at + tag_end(&b[at..], 1)?;
                    let name = text[at + 2..close].trim_end_matches([' ', '\r', '\n', '\t']);
                    let (start, len) = open.pop()?;
                    if name != &text[start..start + len] {
                        return None;
                    }
                    at = close + 1;
                    state.end(&mut |i| item = Some(i), (at - event) as u64);
                    pending_pop = true;
                }
                _ => {
                    let close = at + tag_end(&b[at..], 1)?;
                    let inner = &text[at + 1..close];
                    let (content, empty) = match inner.strip_suffix('/') {
                        Some(content) => (content, true),
                        None => (inner, false),
                    };
                    let name_len = quick_xml::utils::name_len(content.as_bytes());
                    if name_len == 0 {
                        return None;
                    }
                    let start = BytesStart::from_content(content, name_len);
                    resolver.push(&start).ok()?;
                    let ns_name = match resolver.resolve_element(start.name()).0 {
                        ResolveResult::Bound(n) => Some(n.as_ref().to_string()),
                        ResolveResult::Unbound => None,
                        ResolveResult::Unknown(_) => return None,
                    };
                    let position = position();
                    check_attributes(&resolver, &start, &state.declared_entities, position).ok()?;
                    state.start(ns_name.as_deref(), &start, position).ok()?;
                    at = close + 1;
                    if empty {
                        state.end(&mut |i| item = Some(i), (at - event) as u64);
                        pending_pop = true;
                    } else {
                        open.push((event + 1, name_len));
                    }
                }
            },
            b'&' => {
                let rel = memchr::memchr3(b';', b'&', b'<', &b[at + 1..])?;
                if b[at + 1 + rel] != b';' {
                    return None;
                }
                let replacement =
                    resolve_reference(&text[at + 1..at + 1 + rel], &state.declared_entities)
                        .ok()?;
                state.text(&replacement, position(), false).ok()?;
                at += rel + 2;
            }
            _ => {
                let end = memchr::memchr2(b'<', b'&', &b[at..]).map_or(b.len(), |i| at + i);
                state.text(&text[at..end], position(), true).ok()?;
                at = end;
            }
        }
    }
    if at != b.len() {
        return None;
    }
    let content_ns = state
        .channel
        .as_mut()
        .and_then(|c| c.nonstandard_content_ns.take());
    Some(ReadItem {
        item: item?,
        content_ns,
    })
}
