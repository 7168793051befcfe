//! The whole-feed pass: quick-xml's events, one at a time, through the RSS state machine
//! ([`FeedState`]) that keeps the channel and builds each item; items cut out for the caller
//! to read where the scan allows it; and the reading of one item's text as this pass would
//! have read it (plain, or with quick-xml).

use std::io::Read;
use std::sync::Arc;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};

use super::item::{
    ArticleSource, ChannelInfo, FeedError, FeedItem, FeedRead, ItemFailure, ItemField, ItemScope,
    ItemText, Next, RawItem, ReadItem,
};
use super::scan::{find_item, read_plain_item};
use super::well_formed::{
    check_attributes, declared_entities, describe_xml_error, not_wf, resolve_reference,
};
use super::{CONTENT_NS, is_near_miss_content_ns};
use crate::model::Position;
use crate::parse::source::{
    DecodeError, DecodedReader, PositionedSource, SourceMap, TextSource, sniff_xml_encoding,
};

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
    // A field holding only whitespace counts as missing (docs/decisions.md, decision 27).
    for name in ["title", "link", "description"] {
        if state.channel_seen.contains(&name) {
            continue;
        }
        if state.channel_present.contains(&name) {
            channel.empty.push(name);
        } else {
            channel.missing.push(name);
        }
    }
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
pub(super) fn read_item_text(
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
pub(super) fn read_item_xml(
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
pub(super) struct FeedState {
    depth: usize,
    seen_root: bool,
    root_closed: bool,
    root_position: Option<Position>,
    not_rss: Option<FeedError>,
    /// The place of each open element.
    stack: Vec<Place>,
    pub(super) channel: Option<ChannelInfo>,
    /// Channel fields read with text in them.
    channel_seen: Vec<&'static str>,
    /// Channel fields present, with or without text.
    channel_present: Vec<&'static str>,
    /// Whether the channel field being read has had a character other than whitespace.
    channel_field_text: bool,
    channel_done: bool,
    item: Option<RawItem>,
    item_bytes: u64,
    field_text: String,
    field_position: Position,
    content_started: bool,
    pub(super) declared_entities: Arc<Vec<String>>,
    /// Capacity to give an article's HTML when it starts (what remains of an item's text).
    content_capacity: usize,
}

impl FeedState {
    /// The state inside the channel, where item `index` starts, with the entities the
    /// DOCTYPE declared; the item's text is `len` bytes.
    pub(super) fn in_channel(
        index: usize,
        declared_entities: Arc<Vec<String>>,
        len: usize,
    ) -> Self {
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

    pub(super) fn start(
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
                        Some(f) => {
                            self.channel_field_text = false;
                            Place::ChannelField(f)
                        }
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

    pub(super) fn end(&mut self, on_item: &mut impl FnMut(RawItem), event_bytes: u64) {
        self.item_bytes += event_bytes;
        let place = self.stack.pop().unwrap_or(Place::Elsewhere);
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 {
            self.root_closed = true;
        }
        match place {
            Place::Channel => self.channel_done = true,
            Place::ChannelField(name) => {
                if !self.channel_present.contains(&name) {
                    self.channel_present.push(name);
                }
                if self.channel_field_text && !self.channel_seen.contains(&name) {
                    self.channel_seen.push(name);
                }
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

    pub(super) fn text(
        &mut self,
        text: &str,
        origin: Position,
        verbatim: bool,
    ) -> Result<(), FeedError> {
        self.item_bytes += text.len() as u64;
        if self.depth == 0 {
            if !text.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) {
                return Err(not_wf("text outside the root element", origin));
            }
            return Ok(());
        }
        match self.place() {
            Place::ItemField(_) => self.field_text.push_str(text),
            Place::ChannelField(_) => {
                self.channel_field_text |= !text.chars().all(char::is_whitespace);
            }
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

#[cfg(test)]
mod tests {
    use super::super::tests::HEAD;
    use super::*;

    /// Reads `text` whole; the items and the channel, or the error.
    fn read(text: &str) -> Result<(Vec<RawItem>, ChannelInfo), FeedError> {
        let mut items = Vec::new();
        let channel = read_feed(text.as_bytes().to_vec(), std::io::empty(), None, |i| {
            items.push(i);
        })?;
        Ok((items, channel))
    }

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

    #[test]
    fn an_empty_channel_field_is_a_missing_one() {
        let (_, channel) = read(
            "<rss version=\"2.0\"><channel><title> \n</title><link>https://example.com/</link>\
             <description/></channel></rss>",
        )
        .expect("reads");
        assert!(channel.missing.is_empty(), "{:?}", channel.missing);
        assert_eq!(channel.empty, vec!["title", "description"]);
        let (_, channel) = read(
            "<rss version=\"2.0\"><channel><title><![CDATA[T]]></title><link>x</link>\
             <description>d</description></channel></rss>",
        )
        .expect("reads");
        assert!(channel.missing.is_empty() && channel.empty.is_empty());
    }
}
