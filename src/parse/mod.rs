//! Parsing: bytes to typed values. Feeds are read with quick-xml ([`feed`]), articles with
//! html5ever ([`dom`], [`article`]); [`source`] keeps every offset tied to a line and column
//! of the input the user has, and [`tokenizer`] reads the HTML and keeps the tags as written.

pub mod article;
pub mod detect;
pub mod dom;
pub mod feed;
pub mod source;
pub mod tokenizer;

pub use article::{InstantArticle, ParsedArticle};
pub use detect::{InputKind, decode_html, detect_kind};
pub use feed::{ArticleSource, ChannelInfo, FeedError, RawItem, read_feed};
