//! The whole-feed pass: quick-xml's events, one at a time, through the RSS state machine
//! ([`FeedState`], in `state`) that keeps the channel and builds each item; items cut out for the caller
//! to read where the scan allows it; and the reading of one item's text as this pass would
//! have read it (plain, or with quick-xml).

use std::io::Read;
use std::sync::Arc;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::{QName, ResolveResult};

use super::item::{
    ChannelInfo, FeedError, FeedItem, FeedRead, ItemFailure, ItemScope, ItemText, Next,
    OwnedItemText, RawItem, ReadItem,
};
use super::scan::{find_item, read_plain_item};
use super::state::{FeedState, Place};
use super::well_formed::{check_attributes, declared_entities, not_wf, resolve_reference};
use crate::model::Position;
use crate::parse::source::{DecodedReader, PositionedSource, TextSource, sniff_xml_encoding};

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

impl ItemText<'_> {
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
}

impl OwnedItemText {
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

#[cfg(test)]
mod tests {
    use super::super::CONTENT_NS;
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
