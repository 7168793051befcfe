//! The RSS 2.0 reader: a streaming, namespace-aware pass over the feed with quick-xml that
//! hands each `<item>` to the caller as soon as it is complete, so memory stays bounded by
//! the largest item, not the feed.
//!
//! Where an item can be read on its own exactly as the whole-feed pass would read it, the
//! reader only finds where it ends and hands over its text ([`FeedItem::Text`]): reading it
//! (the XML events, references, CDATA, the copy of the article's HTML) is then the caller's,
//! on any thread, and the reader's own work per item is a scan for `<` and `>`.
//!
//! Well-formedness is checked as XML requires (a fault anywhere fails the feed with its
//! line and column); no DTD entity is ever expanded.

use std::io::Read;
use std::sync::Arc;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{NamespaceResolver, QName, ResolveResult};

use super::source::{
    DecodeError, DecodedReader, PositionCounter, PositionedSource, SourceMap, TextSource,
    sniff_xml_encoding,
};
use crate::model::Position;

/// The content module namespace of `content:encoded`.
pub const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";

/// A namespace that templates in the wild write for the content module: its URI with
/// `https`, or without the trailing slash (docs/decisions.md, decision 24).
fn is_near_miss_content_ns(uri: &str) -> bool {
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"));
    rest.is_some_and(|r| {
        let r = r.strip_suffix('/').unwrap_or(r);
        r == "purl.org/rss/1.0/modules/content"
    })
}

/// A simple text element of an item, with the position of its start tag.
#[derive(Clone, Debug)]
pub struct ItemField {
    /// The XML-decoded text.
    pub text: String,
    /// The start tag's position.
    pub position: Position,
}

/// An article's HTML as found in a feed or file, with the map back to file positions.
#[derive(Clone, Debug, Default)]
pub struct ArticleSource {
    /// The HTML text (XML-decoded for a feed).
    pub html: String,
    /// HTML byte offset to file position.
    pub map: SourceMap,
}

impl ArticleSource {
    /// The file position of HTML byte offset `offset`.
    pub fn position(&self, offset: usize) -> Position {
        self.map.position(&self.html, offset)
    }
}

/// One `<item>` as read from the feed.
#[derive(Clone, Debug, Default)]
pub struct RawItem {
    /// 0-based position among the channel's `item` children.
    pub index: usize,
    /// Position of the `<item>` start tag.
    pub position: Position,
    /// `<title>`.
    pub title: Option<ItemField>,
    /// `<link>`.
    pub link: Option<ItemField>,
    /// `<guid>`.
    pub guid: Option<ItemField>,
    /// `<pubDate>`.
    pub pub_date: Option<ItemField>,
    /// Every `<author>`, in order.
    pub authors: Vec<ItemField>,
    /// `<content:encoded>` (the first one).
    pub content: Option<ArticleSource>,
    /// Position of the `<content:encoded>` start tag.
    pub content_position: Option<Position>,
    /// The namespace of an `encoded` child that is not the content module's (docs/decisions.md,
    /// decision 24), so that `item-missing-content` can say why it was not read.
    pub encoded_elsewhere: Option<String>,
    /// Raw bytes of the item in the feed (for throughput accounting).
    pub bytes: u64,
}

/// What the channel said, once the whole feed has been read.
#[derive(Clone, Debug, Default)]
pub struct ChannelInfo {
    /// Position of `<channel>`.
    pub position: Option<Position>,
    /// Which of `title`, `link`, `description` the channel lacks.
    pub missing: Vec<&'static str>,
    /// Number of `item` children.
    pub items: usize,
    /// The near-miss content namespace URI read as the content module, as written, with
    /// the position of its first use (docs/decisions.md, decision 24).
    pub nonstandard_content_ns: Option<(String, Position)>,
}

/// Why a feed could not be read as RSS.
#[derive(Clone, Debug, thiserror::Error)]
pub enum FeedError {
    /// Not well-formed XML (or an encoding that cannot be decoded).
    #[error("{message}")]
    NotWellFormed {
        /// What is wrong.
        message: String,
        /// Where.
        position: Option<Position>,
    },
    /// Well-formed, but not an RSS 2.0 document with a channel.
    #[error("{message}")]
    NotRss {
        /// What is wrong.
        message: String,
        /// Where.
        position: Option<Position>,
    },
    /// Reading the input failed.
    #[error("reading the feed failed: {0}")]
    Io(String),
}

/// What the feed reader hands over for each item of the channel, in document order.
pub enum FeedItem<'a> {
    /// An item the reader read itself.
    Read(RawItem),
    /// An item's text as written, cut out of the feed for [`ItemText::read`], which reads
    /// it exactly as the reader would have (on any thread).
    Text(ItemText<'a>),
}

/// What the reader does after handing over an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Go on.
    Continue,
    /// Go on, reading every further item itself ([`FeedItem::Read`] only).
    ReadItself,
    /// Stop reading.
    Stop,
}

/// The outcome of [`read_feed_items`].
#[derive(Debug)]
pub struct FeedRead {
    /// The channel, or why the feed could not be read; `None` when the caller stopped.
    pub channel: Option<Result<ChannelInfo, FeedError>>,
    /// Bytes of the input read (including the head), up to where reading stopped.
    pub bytes: u64,
}

/// Items are cut out for [`ItemText::read`] up to this size; a larger one is read by the
/// feed reader itself, so that what is read ahead stays small.
const MAX_ITEM_TEXT: usize = 1 << 20;

/// What an item's text is read with: the namespace bindings in scope at the channel and the
/// entities the DOCTYPE declares.
#[derive(Debug)]
pub struct ItemScope {
    resolver: NamespaceResolver,
    entities: Arc<Vec<String>>,
}

/// One item's text, cut out of the feed (borrowed from the reader's buffer).
pub struct ItemText<'a> {
    index: usize,
    position: Position,
    text: &'a str,
    scope: &'a Arc<ItemScope>,
    refills: Vec<(u64, u64)>,
}

/// One item's text, cut out of the feed and owned, to be read on another thread.
#[derive(Debug)]
pub struct OwnedItemText {
    index: usize,
    position: Position,
    text: String,
    scope: Arc<ItemScope>,
    refills: Vec<(u64, u64)>,
}

/// Why an item's text could not be read: the feed's error.
#[derive(Debug)]
pub struct ItemFailure {
    /// The error.
    pub error: FeedError,
    /// Bytes of the input (including the head) a reader of the whole feed had read when it
    /// met the error.
    pub bytes: u64,
}

/// An item read from its text.
#[derive(Debug)]
pub struct ReadItem {
    /// The item.
    pub item: RawItem,
    /// The near-miss content namespace its `encoded` element used, with the position of the
    /// element (the channel's [`ChannelInfo::nonstandard_content_ns`] is the first of them).
    pub content_ns: Option<(String, Position)>,
}

impl ItemText<'_> {
    /// 0-based index among the channel's items.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Reads the item as the feed reader would have, or the feed's error in it.
    pub fn read(&self) -> Result<ReadItem, ItemFailure> {
        read_item_text(
            self.index,
            self.position,
            self.text,
            self.scope,
            &self.refills,
        )
    }

    /// The text copied into `buffer` (cleared first), to be read elsewhere.
    pub fn to_owned_in(&self, mut buffer: String) -> OwnedItemText {
        buffer.clear();
        buffer.push_str(self.text);
        OwnedItemText {
            index: self.index,
            position: self.position,
            text: buffer,
            scope: Arc::clone(self.scope),
            refills: self.refills.clone(),
        }
    }
}

impl OwnedItemText {
    /// 0-based index among the channel's items.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Reads the item as the feed reader would have, or the feed's error in it.
    pub fn read(&self) -> Result<ReadItem, ItemFailure> {
        read_item_text(
            self.index,
            self.position,
            &self.text,
            &self.scope,
            &self.refills,
        )
    }

    /// The text's buffer, for the next item's text.
    pub fn into_buffer(self) -> String {
        self.text
    }
}

/// Reads an RSS feed from `input`, whose first bytes `head` were already read (for content
/// detection), calling `on_item` for every item of the channel as soon as it is complete.
///
/// `http_charset` is the `charset` of an HTTP response, if any.
pub fn read_feed<R: Read>(
    head: Vec<u8>,
    input: R,
    http_charset: Option<&str>,
    mut on_item: impl FnMut(RawItem),
) -> Result<ChannelInfo, FeedError> {
    let mut failed = None;
    let mut content_ns: Option<(String, Position)> = None;
    let read = read_feed_items(head, input, http_charset, |item| match item {
        FeedItem::Read(item) => {
            on_item(item);
            Next::Continue
        }
        FeedItem::Text(text) => match text.read() {
            Ok(read) => {
                first_content_ns(&mut content_ns, read.content_ns);
                on_item(read.item);
                Next::Continue
            }
            Err(e) => {
                failed = Some(e.error);
                Next::Stop
            }
        },
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let mut channel = read.channel.expect("read to the end")?;
    first_content_ns(&mut channel.nonstandard_content_ns, content_ns);
    Ok(channel)
}

/// Keeps in `first` whichever of it and `other` comes first in the document.
pub fn first_content_ns(first: &mut Option<(String, Position)>, other: Option<(String, Position)>) {
    if let Some(other) = other
        && first.as_ref().is_none_or(|f| other.1 < f.1)
    {
        *first = Some(other);
    }
}

/// Reads an RSS feed from `input`, whose first bytes `head` were already read (for content
/// detection), handing `on_item` every item of the channel as soon as it is complete: read
/// ([`FeedItem::Read`]), or, where its text can be read on its own exactly as the reader
/// would have read it, as that text ([`FeedItem::Text`]), which costs the reader no more
/// than finding where the item ends. A feed error inside an item's text is the feed's error
/// (nothing before it failed): the caller reads the text and stops.
///
/// `http_charset` is the `charset` of an HTTP response, if any.
pub fn read_feed_items<R: Read>(
    head: Vec<u8>,
    input: R,
    http_charset: Option<&str>,
    mut on_item: impl FnMut(FeedItem<'_>) -> Next,
) -> FeedRead {
    let head_bytes = head.len() as u64;
    let sniffed = match sniff_xml_encoding(&head, http_charset) {
        Ok(sniffed) => sniffed,
        Err(e) => {
            return FeedRead {
                channel: Some(Err(FeedError::NotWellFormed {
                    message: e.to_string(),
                    position: Some(Position::START),
                })),
                bytes: head_bytes,
            };
        }
    };
    let source = DecodedReader::new(head, input, sniffed);
    let mut reader = NsReader::from_reader(source);
    configure(&mut reader);
    let mut state = FeedState::default();
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut scope: Option<Arc<ItemScope>> = None;
    let mut cut = true;
    // The last event was not text: the XML reader is at the start of what follows it.
    let mut at_markup_end = false;
    let mut stopped = false;
    let mut next = |item: FeedItem<'_>, cut: &mut bool| match on_item(item) {
        Next::Continue => true,
        Next::ReadItself => {
            *cut = false;
            true
        }
        Next::Stop => false,
    };
    let result = loop {
        if cut
            && at_markup_end
            && let Some(scope) = &scope
            && state.place() == Place::Channel
        {
            let source = reader.get_mut();
            if let Some((space, len)) = find_item(source) {
                source.skip(space);
                let position = source.consumed_position();
                let channel = state.channel.as_mut().expect("inside a channel");
                let index = channel.items;
                channel.items += 1;
                let refills = source.refills_ahead(len);
                let bytes = &source.lookahead()[..len];
                // SAFETY: the reader's text is UTF-8 (validated or decoded into it), and an
                // item's text starts at `<` and ends after `>`, both character boundaries.
                let text = unsafe { std::str::from_utf8_unchecked(bytes) };
                let go_on = next(
                    FeedItem::Text(ItemText {
                        index,
                        position,
                        text,
                        scope,
                        refills,
                    }),
                    &mut cut,
                );
                source.skip(len);
                if !go_on {
                    stopped = true;
                    break Ok(());
                }
                continue;
            }
        }
        let mut go_on = true;
        let event = read_event(&mut reader, &mut state, &mut buf, &mut |item| {
            go_on = next(FeedItem::Read(item), &mut cut);
        });
        match event {
            Err(e) => break Err(e),
            Ok(None) => break Ok(()),
            Ok(Some(kind)) => {
                at_markup_end = kind != EventKind::Text;
                if kind == EventKind::Start
                    && scope.is_none()
                    && state.place() == Place::Channel
                    && reader.resolver().resolve_element(QName("item")).0 == ResolveResult::Unbound
                {
                    // The bindings of `rss` and `channel` are every item's (a sibling's are
                    // gone by the time the next item starts).
                    scope = Some(Arc::new(ItemScope {
                        resolver: reader.resolver().clone(),
                        entities: Arc::clone(&state.declared_entities),
                    }));
                }
            }
        }
        if !go_on {
            stopped = true;
            break Ok(());
        }
    };
    let bytes = reader.get_ref().handed_raw_bytes();
    let channel = match result {
        _ if stopped => None,
        Err(e) => Some(Err(e)),
        Ok(()) => Some(finish(&mut state, &mut reader)),
    };
    FeedRead { channel, bytes }
}

fn configure<R>(reader: &mut NsReader<R>) {
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    config.expand_empty_elements = false;
    config.trim_text(false);
}

/// The channel once the whole feed was read, or why the feed is not RSS.
fn finish<R: Read>(
    state: &mut FeedState,
    reader: &mut NsReader<DecodedReader<R>>,
) -> Result<ChannelInfo, FeedError> {
    if state.depth > 0 {
        return Err(not_wf(
            "the document ends before its elements are closed (truncated?)",
            reader.get_mut().consumed_position(),
        ));
    }
    if !state.seen_root {
        return Err(not_wf(
            "no root element",
            reader.get_mut().consumed_position(),
        ));
    }
    if let Some(err) = state.not_rss.take() {
        return Err(err);
    }
    let Some(mut channel) = state.channel.take() else {
        return Err(FeedError::NotRss {
            message: "the `rss` element has no `channel`".into(),
            position: state.root_position,
        });
    };
    channel.missing = ["title", "link", "description"]
        .into_iter()
        .filter(|name| !state.channel_seen.contains(name))
        .collect();
    Ok(channel)
}

/// What kind of event [`read_event`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    /// A start tag.
    Start,
    /// Text (after which the XML reader is not at the start of markup).
    Text,
    /// Anything else.
    Other,
}

/// Reads the next event into `state` (calling `on_item` when it completes an item);
/// `None` at the end of the document.
fn read_event<S: PositionedSource>(
    reader: &mut NsReader<S>,
    state: &mut FeedState,
    buf: &mut Vec<u8>,
    on_item: &mut impl FnMut(RawItem),
) -> Result<Option<EventKind>, FeedError> {
    reader.get_mut().mark();
    let position = reader.get_mut().mark_position();
    let start_offset = reader.buffer_position();
    let event = reader.read_resolved_event_into(buf);
    let (ns, event) = match event {
        Ok(pair) => pair,
        Err(err) => return Err(state.xml_error(reader, err)),
    };
    let ns_name: Option<String> = match &ns {
        ResolveResult::Bound(n) => Some(n.as_ref().to_string()),
        ResolveResult::Unbound => None,
        ResolveResult::Unknown(prefix) => {
            return Err(FeedError::NotWellFormed {
                message: format!("namespace prefix `{prefix}` is not declared"),
                position: Some(position),
            });
        }
    };
    let kind = match event {
        Event::Eof => return Ok(None),
        Event::Decl(_) => {
            if start_offset != 0 {
                return Err(FeedError::NotWellFormed {
                    message: "XML declaration not at the start of the document".into(),
                    position: Some(position),
                });
            }
            EventKind::Other
        }
        Event::DocType(text) => {
            if state.seen_root {
                return Err(not_wf("DOCTYPE after the root element", position));
            }
            state.declared_entities = Arc::new(declared_entities(&text.into_inner()));
            EventKind::Other
        }
        Event::PI(pi) => {
            if pi.target().eq_ignore_ascii_case("xml") {
                return Err(not_wf(
                    "XML declaration not at the start of the document",
                    position,
                ));
            }
            EventKind::Other
        }
        Event::Comment(_) => EventKind::Other,
        Event::Start(start) => {
            check_attributes(
                reader.resolver(),
                &start,
                &state.declared_entities,
                position,
            )?;
            state.start(ns_name.as_deref(), &start, position)?;
            EventKind::Start
        }
        Event::Empty(start) => {
            check_attributes(
                reader.resolver(),
                &start,
                &state.declared_entities,
                position,
            )?;
            state.start(ns_name.as_deref(), &start, position)?;
            state.end(on_item, reader.buffer_position() - start_offset);
            EventKind::Other
        }
        Event::End(_) => {
            state.end(on_item, reader.buffer_position() - start_offset);
            EventKind::Other
        }
        Event::Text(text) => {
            let raw = text.into_inner();
            state.text(&raw, position, true)?;
            EventKind::Text
        }
        Event::CData(cdata) => {
            let raw = cdata.into_inner();
            let content_origin = Position {
                line: position.line,
                column: position.column + 9,
            };
            state.text(&raw, content_origin, true)?;
            EventKind::Other
        }
        Event::GeneralRef(r) => {
            let name = r.into_inner();
            let replacement = resolve_reference(&name, &state.declared_entities)
                .map_err(|m| not_wf(&m, position))?;
            state.text(&replacement, position, false)?;
            EventKind::Other
        }
    };
    buf.clear();
    Ok(Some(kind))
}

/// Reads one item's text (cut out of the feed at `position`) as the feed reader would have;
/// `refills` say where the input's reads ended in the text (see
/// [`DecodedReader::refills_ahead`]).
fn read_item_text(
    index: usize,
    position: Position,
    text: &str,
    scope: &ItemScope,
    refills: &[(u64, u64)],
) -> Result<ReadItem, ItemFailure> {
    if let Some(read) = read_plain_item(index, position, text, scope) {
        return Ok(read);
    }
    read_item_xml(index, position, text, scope, refills)
}

/// [`read_item_text`] with quick-xml, for any text.
fn read_item_xml(
    index: usize,
    position: Position,
    text: &str,
    scope: &ItemScope,
    refills: &[(u64, u64)],
) -> Result<ReadItem, ItemFailure> {
    let mut reader = NsReader::from_reader(TextSource::new(text, position));
    read_item(&mut reader, index, text.len(), scope).map_err(|error| {
        // The whole-feed reader had read the input up to the read holding the last byte
        // it took.
        let last = reader.buffer_position().max(1) - 1;
        let bytes = refills
            .iter()
            .find(|&&(end, _)| end > last)
            .or(refills.last())
            .map_or(0, |&(_, bytes)| bytes);
        ItemFailure { error, bytes }
    })
}

/// Reads an item's text without quick-xml when everything in it is plain: tags with their
/// end tags, text, references, CDATA sections, comments without `-`; events and their
/// handling are those of [`read_event`], and where quick-xml would see an error (or
/// anything else) this gives up with `None`, for quick-xml to read the text instead.
fn read_plain_item(
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

fn read_item(
    reader: &mut NsReader<TextSource<'_>>,
    index: usize,
    len: usize,
    scope: &ItemScope,
) -> Result<ReadItem, FeedError> {
    configure(reader);
    *reader.resolver_mut() = scope.resolver.clone();
    let mut state = FeedState::in_channel(index, Arc::clone(&scope.entities), len);
    let mut buf = Vec::new();
    let mut read = None;
    loop {
        let event = read_event(reader, &mut state, &mut buf, &mut |item| {
            read = Some(item);
        })?;
        if let Some(item) = read.take() {
            let content_ns = state
                .channel
                .as_mut()
                .and_then(|c| c.nonstandard_content_ns.take());
            return Ok(ReadItem { item, content_ns });
        }
        if event.is_none() {
            // Not reached: an item's text ends with the end tag that closes it.
            return Err(not_wf(
                "the document ends before its elements are closed (truncated?)",
                reader.get_mut().consumed_position(),
            ));
        }
    }
}

/// Where the item that starts after the next white space ends, when it can be cut out:
/// `(white space, item text)` lengths from the consumer's position.
///
/// An item is cut only where markup is read here exactly as the XML reader reads it: text
/// up to `<`; start, empty and end tags up to the first `>` outside quotes; comments up to
/// the first `-->`; CDATA sections up to the first `]]>`. Anything else (a processing
/// instruction, a DOCTYPE, an empty or namespace-declaring `item`, a decoding failure, the end
/// of the input, a text larger than [`MAX_ITEM_TEXT`]) leaves the item to the reader.
fn find_item<R: Read>(source: &mut DecodedReader<R>) -> Option<(usize, usize)> {
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

fn not_wf(message: &str, position: Position) -> FeedError {
    FeedError::NotWellFormed {
        message: message.to_string(),
        position: Some(position),
    }
}

/// Where in the document the reader is, as far as RSS is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Outside the root, or in an element we do not read.
    Elsewhere,
    Rss,
    Channel,
    ChannelField(&'static str),
    Item,
    ItemField(Field),
    Content,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Title,
    Link,
    Guid,
    PubDate,
    Author,
}

#[derive(Default)]
struct FeedState {
    depth: usize,
    seen_root: bool,
    root_closed: bool,
    root_position: Option<Position>,
    not_rss: Option<FeedError>,
    /// The place of each open element.
    stack: Vec<Place>,
    channel: Option<ChannelInfo>,
    channel_seen: Vec<&'static str>,
    channel_done: bool,
    item: Option<RawItem>,
    item_bytes: u64,
    field_text: String,
    field_position: Position,
    content_started: bool,
    declared_entities: Arc<Vec<String>>,
    /// Capacity to give an article's HTML when it starts (what remains of an item's text).
    content_capacity: usize,
}

impl FeedState {
    /// The state inside the channel, where item `index` starts, with the entities the
    /// DOCTYPE declared; the item's text is `len` bytes.
    fn in_channel(index: usize, declared_entities: Arc<Vec<String>>, len: usize) -> Self {
        FeedState {
            depth: 2,
            seen_root: true,
            stack: vec![Place::Rss, Place::Channel],
            channel: Some(ChannelInfo {
                items: index,
                ..ChannelInfo::default()
            }),
            declared_entities,
            content_capacity: len,
            ..FeedState::default()
        }
    }

    fn place(&self) -> Place {
        self.stack.last().copied().unwrap_or(Place::Elsewhere)
    }

    fn start(
        &mut self,
        ns: Option<&str>,
        start: &BytesStart,
        position: Position,
    ) -> Result<(), FeedError> {
        let local = start.local_name();
        let local = local.as_ref();
        let parent = self.place();
        let place = if self.depth == 0 {
            if self.root_closed {
                return Err(not_wf("a second root element", position));
            }
            self.seen_root = true;
            self.root_position = Some(position);
            if local != "rss" || ns.is_some() {
                self.not_rss = Some(FeedError::NotRss {
                    message: format!("the root element is `{}`, not `rss`", start.name().as_ref()),
                    position: Some(position),
                });
                Place::Elsewhere
            } else {
                let version = start
                    .try_get_attribute("version")
                    .ok()
                    .flatten()
                    .map(|a| a.value.trim().to_string());
                match version.as_deref() {
                    Some("2.0") => Place::Rss,
                    Some(v) => {
                        self.not_rss = Some(FeedError::NotRss {
                            message: format!("RSS version `{v}` is not 2.0"),
                            position: Some(position),
                        });
                        Place::Elsewhere
                    }
                    None => {
                        self.not_rss = Some(FeedError::NotRss {
                            message: "the `rss` element has no `version=\"2.0\"`".into(),
                            position: Some(position),
                        });
                        Place::Elsewhere
                    }
                }
            }
        } else {
            match (parent, ns, local) {
                (Place::Rss, None, "channel") if !self.channel_done && self.channel.is_none() => {
                    self.channel = Some(ChannelInfo {
                        position: Some(position),
                        ..ChannelInfo::default()
                    });
                    Place::Channel
                }
                (Place::Channel, None, "item") => {
                    let channel = self.channel.as_mut().expect("inside a channel");
                    self.item = Some(RawItem {
                        index: channel.items,
                        position,
                        ..RawItem::default()
                    });
                    channel.items += 1;
                    self.item_bytes = 0;
                    Place::Item
                }
                (Place::Channel, None, name) => {
                    let field = match name {
                        "title" => Some("title"),
                        "link" => Some("link"),
                        "description" => Some("description"),
                        _ => None,
                    };
                    match field {
                        Some(f) => Place::ChannelField(f),
                        None => Place::Elsewhere,
                    }
                }
                (Place::Item, None, name) => {
                    let field = match name {
                        "title" => Some(Field::Title),
                        "link" => Some(Field::Link),
                        "guid" => Some(Field::Guid),
                        "pubDate" => Some(Field::PubDate),
                        "author" => Some(Field::Author),
                        _ => None,
                    };
                    self.field_text.clear();
                    self.field_position = position;
                    match field {
                        Some(f) => Place::ItemField(f),
                        None => Place::Elsewhere,
                    }
                }
                (Place::Item, Some(uri), "encoded") if uri != CONTENT_NS => {
                    if is_near_miss_content_ns(uri) {
                        let channel = self.channel.as_mut().expect("inside a channel");
                        if channel.nonstandard_content_ns.is_none() {
                            channel.nonstandard_content_ns = Some((uri.to_string(), position));
                        }
                        self.start_content(position)
                    } else {
                        let item = self.item.as_mut().expect("inside an item");
                        if item.encoded_elsewhere.is_none() {
                            item.encoded_elsewhere = Some(uri.to_string());
                        }
                        Place::Elsewhere
                    }
                }
                (Place::Item, Some(_), "encoded") => self.start_content(position),
                _ => Place::Elsewhere,
            }
        };
        self.depth += 1;
        self.stack.push(place);
        Ok(())
    }

    /// The first `content:encoded` of the item is its article; later ones are ignored.
    fn start_content(&mut self, position: Position) -> Place {
        let item = self.item.as_mut().expect("inside an item");
        if item.content.is_none() {
            item.content = Some(ArticleSource {
                html: String::with_capacity(self.content_capacity),
                map: SourceMap::default(),
            });
            item.content_position = Some(position);
            self.content_started = true;
            Place::Content
        } else {
            Place::Elsewhere
        }
    }

    fn end(&mut self, on_item: &mut impl FnMut(RawItem), event_bytes: u64) {
        self.item_bytes += event_bytes;
        let place = self.stack.pop().unwrap_or(Place::Elsewhere);
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 {
            self.root_closed = true;
        }
        match place {
            Place::Channel => self.channel_done = true,
            Place::ChannelField(name) if !self.channel_seen.contains(&name) => {
                self.channel_seen.push(name);
            }
            Place::Item => {
                if let Some(mut item) = self.item.take() {
                    item.bytes = self.item_bytes;
                    on_item(item);
                }
            }
            Place::ItemField(field) => {
                let value = ItemField {
                    text: std::mem::take(&mut self.field_text),
                    position: self.field_position,
                };
                if let Some(item) = self.item.as_mut() {
                    let slot = match field {
                        Field::Title => &mut item.title,
                        Field::Link => &mut item.link,
                        Field::Guid => &mut item.guid,
                        Field::PubDate => &mut item.pub_date,
                        Field::Author => {
                            item.authors.push(value);
                            return;
                        }
                    };
                    if slot.is_none() {
                        *slot = Some(value);
                    }
                }
            }
            Place::Content => self.content_started = false,
            _ => {}
        }
    }

    fn text(&mut self, text: &str, origin: Position, verbatim: bool) -> Result<(), FeedError> {
        self.item_bytes += text.len() as u64;
        if self.depth == 0 {
            if !text.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) {
                return Err(not_wf("text outside the root element", origin));
            }
            return Ok(());
        }
        match self.place() {
            Place::ItemField(_) => self.field_text.push_str(text),
            Place::Content => {
                if let Some(content) = self.item.as_mut().and_then(|i| i.content.as_mut()) {
                    content.map.push(content.html.len(), origin, verbatim);
                    content.html.push_str(text);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn xml_error<S: PositionedSource>(
        &self,
        reader: &NsReader<S>,
        err: quick_xml::Error,
    ) -> FeedError {
        let source = reader.get_ref();
        match source.decode_error() {
            Some(DecodeError::Malformed { encoding, position }) => {
                return FeedError::NotWellFormed {
                    message: format!("bytes that are not valid {encoding}"),
                    position: Some(*position),
                };
            }
            Some(DecodeError::Forbidden {
                character,
                position,
            }) => {
                return FeedError::NotWellFormed {
                    message: format!(
                        "the control character {} is not allowed anywhere in XML (only tab, \
                         line feed and carriage return are); remove it",
                        crate::model::control_name(*character)
                    ),
                    position: Some(*position),
                };
            }
            _ => {}
        }
        if let quick_xml::Error::Io(io) = &err
            && io.kind() != std::io::ErrorKind::InvalidData
        {
            return FeedError::Io(io.to_string());
        }
        let position = source.position_of(reader.error_position());
        FeedError::NotWellFormed {
            message: describe_xml_error(&err),
            position: Some(position),
        }
    }
}

fn describe_xml_error(err: &quick_xml::Error) -> String {
    use quick_xml::errors::{IllFormedError, SyntaxError};
    match err {
        quick_xml::Error::Syntax(s) => match s {
            SyntaxError::UnclosedTag => "a tag is not closed (missing `>`)".into(),
            SyntaxError::UnclosedCData => "a CDATA section is not closed".into(),
            SyntaxError::UnclosedComment => "a comment is not closed".into(),
            other => format!("XML syntax error: {other}"),
        },
        quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            format!("end tag `</{found}>` does not match the open `<{expected}>`")
        }
        quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
            format!("end tag `</{name}>` has no start tag")
        }
        other => format!("not well-formed XML: {other}"),
    }
}

/// The names declared by `<!ENTITY name …>` in a DOCTYPE's internal subset. References to
/// them are kept as written: iarss never expands DTD entities.
fn declared_entities(doctype: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = doctype;
    while let Some(at) = rest.find("<!ENTITY") {
        rest = &rest[at + "<!ENTITY".len()..];
        let decl = rest.trim_start();
        if decl.starts_with('%') {
            continue;
        }
        let name: String = decl
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

/// The text of an entity or character reference `&name;`.
fn resolve_reference(name: &str, declared: &[String]) -> Result<String, String> {
    let predefined = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    };
    if let Some(c) = predefined {
        return Ok(c.to_string());
    }
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        return match code.and_then(char::from_u32) {
            Some(c) if is_xml_char(c) => Ok(c.to_string()),
            _ => Err(format!("`&{name};` is not a valid character reference")),
        };
    }
    if declared.iter().any(|d| d == name) {
        return Ok(format!("&{name};"));
    }
    Err(format!(
        "undefined entity `&{name};` (XML knows only &lt; &gt; &amp; &apos; &quot; and numeric references)"
    ))
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Checks a start tag's attributes: syntax, duplicates, references and prefixes.
fn check_attributes(
    resolver: &NamespaceResolver,
    start: &BytesStart,
    declared: &[String],
    position: Position,
) -> Result<(), FeedError> {
    for attr in start.attributes().with_checks(true) {
        let attr = attr.map_err(|e| not_wf(&format!("bad attribute: {e}"), position))?;
        let key = attr.key;
        if key.as_namespace_binding().is_none()
            && let (ResolveResult::Unknown(prefix), _) = resolver.resolve_attribute(key)
        {
            return Err(not_wf(
                &format!("namespace prefix `{prefix}` is not declared"),
                position,
            ));
        }
        let value = attr.value.clone();
        if value.contains('<') {
            return Err(not_wf("`<` in an attribute value", position));
        }
        let mut rest: &str = &value;
        while let Some(amp) = rest.find('&') {
            let after = &rest[amp + 1..];
            let Some(semi) = after.find(';') else {
                return Err(not_wf("a bare `&` in an attribute value", position));
            };
            resolve_reference(&after[..semi], declared).map_err(|m| not_wf(&m, position))?;
            rest = &after[semi + 1..];
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item text of `feed`: what the plain reader made of it (if it took it) and
    /// what quick-xml made of it, both as debug text.
    fn both_readers(feed: &[u8]) -> Vec<(Option<String>, String)> {
        let mut seen = Vec::new();
        read_feed_items(feed.to_vec(), std::io::empty(), None, |item| {
            if let FeedItem::Text(t) = item {
                let plain = read_plain_item(t.index, t.position, t.text, t.scope)
                    .map(|r| format!("{:?} {:?}", r.item, r.content_ns));
                let xml = match read_item_xml(t.index, t.position, t.text, t.scope, &t.refills) {
                    Ok(r) => format!("{:?} {:?}", r.item, r.content_ns),
                    Err(f) => format!("error {:?}", f.error),
                };
                seen.push((plain, xml));
            }
            Next::Continue
        });
        seen
    }

    fn assert_readers_agree(name: &str, feed: &[u8]) -> usize {
        let mut taken = 0;
        for (i, (plain, xml)) in both_readers(feed).into_iter().enumerate() {
            if let Some(plain) = plain {
                assert_eq!(plain, xml, "{name}: item {i}: the plain reader differs");
                taken += 1;
            }
        }
        taken
    }

    #[test]
    fn plain_item_reader_agrees_with_quick_xml_or_declines() {
        let items = [
            "<item><title>A &amp; B &#233; &#x41;</title><link>https://example.com/a</link><content:encoded><![CDATA[<p>x]]]></p>]]></content:encoded></item>",
            "<item>\r\n<guid isPermaLink=\"false\">g</guid>\r\n<description>&lt;p&gt;</description></item>",
            "<item><title>t</title><!-- a comment --><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>",
            "<item><title>t</title><!-- a -- comment --></item>",
            "<item><title>t</title></titl></item>",
            "<item><title a=\"1\" a=\"2\">t</title></item>",
            "<item><x:title>t</x:title></item>",
            "<item><title>]]></title></item>",
            "<item><title>&nope;</title></item>",
            "<item><title>&amp</title></item>",
            "<item><title a='<'>t</title></item>",
            "<item><?pi x?><title>t</title></item>",
            "<item><title>\u{0}</title></item>",
            "<item><media:content url=\"https://example.com/i.jpg\" xmlns:media=\"http://search.yahoo.com/mrss/\"/></item>",
            "<item><enclosure url=\"u\"/ ><title >t</title ></item>",
            "<item><content:encoded xmlns:content=\"http://purl.org/rss/1.0/modules/content\">x</content:encoded></item>",
            "<item><title>t</title>",
        ];
        for (i, item) in items.iter().enumerate() {
            let feed = format!("{HEAD}{item}\n</channel></rss>");
            assert_readers_agree(&format!("case {i}"), feed.as_bytes());
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let example = std::fs::read(dir.join("testdata/feeds/example.xml")).expect("example feed");
        assert!(assert_readers_agree("testdata/feeds/example.xml", &example) > 0);
        // The corpus's feeds, when the shared inputs are there (tests/corpus.rs requires them
        // in CI).
        let corpus = dir.join("../shared/corpus");
        let mut stack = vec![corpus];
        while let Some(path) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&path) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    assert_readers_agree(&path.display().to_string(), &bytes);
                }
            }
        }
    }

    /// Reads `text` whole; the items and the channel, or the error.
    fn read(text: &str) -> Result<(Vec<RawItem>, ChannelInfo), FeedError> {
        let mut items = Vec::new();
        let channel = read_feed(text.as_bytes().to_vec(), std::io::empty(), None, |i| {
            items.push(i)
        })?;
        Ok((items, channel))
    }

    const HEAD: &str = "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel>\n<title>T</title><link>https://example.com/</link><description>D</description>\n";

    #[test]
    fn items_carry_their_fields_and_positions() {
        let text = format!(
            "{HEAD}<item>\n<title>A &amp; B</title>\n<link> https://example.com/a </link>\n\
             <content:encoded><![CDATA[<p>x</p>]]></content:encoded>\n</item>\n\
             <item><guid>g2</guid><content:encoded>&lt;p&gt;y&lt;/p&gt;</content:encoded></item>\n\
             </channel></rss>"
        );
        let (items, channel) = read(&text).expect("reads");
        assert_eq!(channel.items, 2);
        assert!(channel.missing.is_empty());
        assert_eq!(items[0].index, 0);
        assert_eq!(items[0].position, Position { line: 4, column: 1 });
        assert_eq!(
            items[0].title.as_ref().map(|t| t.text.as_str()),
            Some("A & B")
        );
        assert_eq!(
            items[0].content.as_ref().map(|c| c.html.as_str()),
            Some("<p>x</p>")
        );
        // Entity-escaped content is XML-decoded.
        assert_eq!(
            items[1].content.as_ref().map(|c| c.html.as_str()),
            Some("<p>y</p>")
        );
        assert_eq!(items[1].guid.as_ref().map(|g| g.text.as_str()), Some("g2"));
    }

    #[test]
    fn an_undeclared_prefix_is_not_well_formed() {
        let text = "<rss version=\"2.0\"><channel><item><content:encoded>x</content:encoded></item></channel></rss>";
        assert!(matches!(read(text), Err(FeedError::NotWellFormed { .. })));
    }

    #[test]
    fn a_cut_feed_and_a_second_root_are_not_well_formed() {
        let cut = format!("{HEAD}<item><title>A</title>");
        assert!(matches!(read(&cut), Err(FeedError::NotWellFormed { .. })));
        let two = format!("{HEAD}</channel></rss><rss/>");
        assert!(matches!(read(&two), Err(FeedError::NotWellFormed { .. })));
    }

    #[test]
    fn other_roots_are_not_rss() {
        assert!(matches!(
            read("<feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>"),
            Err(FeedError::NotRss { .. })
        ));
        assert!(matches!(
            read("<rss version=\"2.0\"></rss>"),
            Err(FeedError::NotRss { .. })
        ));
    }

    #[test]
    fn entities_declared_in_the_doctype_are_accepted() {
        let text = format!(
            "<!DOCTYPE rss [<!ENTITY nbsp \"&#160;\">]>\n{HEAD}<item><title>a&nbsp;b</title></item></channel></rss>"
        );
        let (items, _) = read(&text).expect("reads");
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn a_near_miss_content_namespace_is_read_and_remembered() {
        let text = HEAD.replace(CONTENT_NS, "https://purl.org/rss/1.0/modules/content")
            + "<item><content:encoded>x</content:encoded></item></channel></rss>";
        let (items, channel) = read(&text).expect("reads");
        assert!(items[0].content.is_some());
        let (uri, _) = channel.nonstandard_content_ns.expect("remembered");
        assert_eq!(uri, "https://purl.org/rss/1.0/modules/content");

        let text = HEAD.replace(CONTENT_NS, "http://example.com/c/")
            + "<item><content:encoded>x</content:encoded></item></channel></rss>";
        let (items, channel) = read(&text).expect("reads");
        assert!(items[0].content.is_none());
        assert_eq!(
            items[0].encoded_elsewhere.as_deref(),
            Some("http://example.com/c/")
        );
        assert!(channel.nonstandard_content_ns.is_none());
    }

    #[test]
    fn a_channel_without_its_fields_says_which() {
        let (_, channel) =
            read("<rss version=\"2.0\"><channel><title>T</title></channel></rss>").expect("reads");
        assert_eq!(channel.missing, vec!["link", "description"]);
    }
}
