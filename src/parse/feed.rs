//! The RSS 2.0 reader: a streaming, namespace-aware pass over the feed with quick-xml that
//! hands each `<item>` to the caller as soon as it is complete, so memory stays bounded by
//! the largest item, not the feed.
//!
//! Well-formedness is checked as XML requires (a fault anywhere fails the feed with its
//! line and column); no DTD entity is ever expanded.

use std::io::Read;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::source::{DecodeError, DecodedReader, SourceMap, sniff_xml_encoding};
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
    let sniffed =
        sniff_xml_encoding(&head, http_charset).map_err(|e| FeedError::NotWellFormed {
            message: e.to_string(),
            position: Some(Position::START),
        })?;
    let source = DecodedReader::new(head, input, sniffed);
    let mut reader = NsReader::from_reader(source);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let mut state = FeedState::default();
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        reader.get_mut().mark();
        let position = reader.get_mut().mark_position();
        let start_offset = reader.buffer_position();
        let event = reader.read_resolved_event_into(&mut buf);
        let (ns, event) = match event {
            Ok(pair) => pair,
            Err(err) => return Err(state.xml_error(&reader, err)),
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
        match event {
            Event::Eof => break,
            Event::Decl(_) => {
                if start_offset != 0 {
                    return Err(FeedError::NotWellFormed {
                        message: "XML declaration not at the start of the document".into(),
                        position: Some(position),
                    });
                }
            }
            Event::DocType(text) => {
                if state.seen_root {
                    return Err(not_wf("DOCTYPE after the root element", position));
                }
                state.declared_entities = declared_entities(&text.into_inner());
            }
            Event::PI(pi) => {
                if pi.target().eq_ignore_ascii_case("xml") {
                    return Err(not_wf(
                        "XML declaration not at the start of the document",
                        position,
                    ));
                }
            }
            Event::Comment(_) => {}
            Event::Start(start) => {
                check_attributes(&reader, &start, &state.declared_entities, position)?;
                state.start(ns_name.as_deref(), &start, position)?;
            }
            Event::Empty(start) => {
                check_attributes(&reader, &start, &state.declared_entities, position)?;
                state.start(ns_name.as_deref(), &start, position)?;
                state.end(&mut on_item, reader.buffer_position() - start_offset);
            }
            Event::End(_) => {
                state.end(&mut on_item, reader.buffer_position() - start_offset);
            }
            Event::Text(text) => {
                let raw = text.into_inner();
                state.text(&raw, position, true)?;
            }
            Event::CData(cdata) => {
                let raw = cdata.into_inner();
                let content_origin = Position {
                    line: position.line,
                    column: position.column + 9,
                };
                state.text(&raw, content_origin, true)?;
            }
            Event::GeneralRef(r) => {
                let name = r.into_inner();
                let replacement = resolve_reference(&name, &state.declared_entities)
                    .map_err(|m| not_wf(&m, position))?;
                state.text(&replacement, position, false)?;
            }
        }
        buf.clear();
    }
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
    declared_entities: Vec<String>,
}

impl FeedState {
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
            item.content = Some(ArticleSource::default());
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

    fn xml_error<R: Read>(
        &self,
        reader: &NsReader<DecodedReader<R>>,
        err: quick_xml::Error,
    ) -> FeedError {
        let source = reader.get_ref();
        if let Some(DecodeError::Malformed { encoding, position }) = source.decode_error() {
            return FeedError::NotWellFormed {
                message: format!("bytes that are not valid {encoding}"),
                position: Some(*position),
            };
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
fn check_attributes<R>(
    reader: &NsReader<R>,
    start: &BytesStart,
    declared: &[String],
    position: Position,
) -> Result<(), FeedError> {
    for attr in start.attributes().with_checks(true) {
        let attr = attr.map_err(|e| not_wf(&format!("bad attribute: {e}"), position))?;
        let key = attr.key;
        if key.as_namespace_binding().is_none()
            && let (ResolveResult::Unknown(prefix), _) = reader.resolver().resolve_attribute(key)
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
