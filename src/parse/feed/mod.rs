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
//!
//! The item types are in `item`; the whole-feed pass and the reading of one item's text in
//! `reader`; the RSS state machine both drive in `state`; the byte scans that cut items out and read plain ones
//! without quick-xml in `scan`; what XML requires of characters, references and attributes
//! in `well_formed`.

mod item;
mod reader;
mod scan;
mod state;
mod well_formed;

pub use item::{
    ArticleSource, ChannelInfo, FeedError, FeedItem, FeedRead, ItemFailure, ItemField, ItemScope,
    ItemText, Next, OwnedItemText, RawItem, ReadItem,
};
pub use reader::{first_content_ns, read_feed, read_feed_items};

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

#[cfg(test)]
mod tests {
    use super::reader::read_item_xml;
    use super::scan::read_plain_item;
    use super::*;

    pub(super) const HEAD: &str = "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel>\n<title>T</title><link>https://example.com/</link><description>D</description>\n";

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
}
