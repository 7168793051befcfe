//! What the feed reader hands over and returns: an item's fields and article, the channel,
//! the feed's errors, what the caller says after each item, and an item's text cut out of
//! the feed ([`ItemText`], [`OwnedItemText`]) with what reading it on any thread yields.

use std::sync::Arc;

use quick_xml::name::NamespaceResolver;

use crate::model::Position;
use crate::parse::source::SourceMap;

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
    /// Which of them it has with nothing but whitespace in them (as good as missing).
    pub empty: Vec<&'static str>,
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

/// The outcome of [`read_feed_items`](super::read_feed_items).
#[derive(Debug)]
pub struct FeedRead {
    /// The channel, or why the feed could not be read; `None` when the caller stopped.
    pub channel: Option<Result<ChannelInfo, FeedError>>,
    /// Bytes of the input read (including the head), up to where reading stopped.
    pub bytes: u64,
}

/// What an item's text is read with: the namespace bindings in scope at the channel and the
/// entities the DOCTYPE declares.
#[derive(Debug)]
pub struct ItemScope {
    pub(super) resolver: NamespaceResolver,
    pub(super) entities: Arc<Vec<String>>,
}

/// One item's text, cut out of the feed (borrowed from the reader's buffer).
pub struct ItemText<'a> {
    pub(super) index: usize,
    pub(super) position: Position,
    pub(super) text: &'a str,
    pub(super) scope: &'a Arc<ItemScope>,
    pub(super) refills: Vec<(u64, u64)>,
}

/// One item's text, cut out of the feed and owned, to be read on another thread.
#[derive(Debug)]
pub struct OwnedItemText {
    pub(super) index: usize,
    pub(super) position: Position,
    pub(super) text: String,
    pub(super) scope: Arc<ItemScope>,
    pub(super) refills: Vec<(u64, u64)>,
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

    /// The text's buffer, for the next item's text.
    pub fn into_buffer(self) -> String {
        self.text
    }
}
