//! The RSS state machine: what each of quick-xml's events (or the plain scanner's) means
//! where the reader is: the channel's fields, each item's fields and its article's HTML.

use std::sync::Arc;

use quick_xml::NsReader;
use quick_xml::events::BytesStart;

use super::item::{ArticleSource, ChannelInfo, FeedError, ItemField, RawItem};
use super::well_formed::{describe_xml_error, not_wf};
use super::{CONTENT_NS, is_near_miss_content_ns};
use crate::model::Position;
use crate::parse::source::{DecodeError, PositionedSource, SourceMap};

/// Where in the document the reader is, as far as RSS is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
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
pub(super) enum Field {
    Title,
    Link,
    Guid,
    PubDate,
    Author,
}

#[derive(Default)]
pub(super) struct FeedState {
    pub(super) depth: usize,
    pub(super) seen_root: bool,
    root_closed: bool,
    pub(super) root_position: Option<Position>,
    pub(super) not_rss: Option<FeedError>,
    /// The place of each open element.
    stack: Vec<Place>,
    pub(super) channel: Option<ChannelInfo>,
    /// Channel fields read with text in them.
    pub(super) channel_seen: Vec<&'static str>,
    /// Channel fields present, with or without text.
    pub(super) channel_present: Vec<&'static str>,
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

    pub(super) fn place(&self) -> Place {
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

    pub(super) fn xml_error<S: PositionedSource>(
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
