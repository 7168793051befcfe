//! Helpers of the publishing tests (manual writes, imports, dry runs): a store with one
//! page on either backend, articles and feeds built here, and feed runs through the library.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use iarss::ingest::{FeedSource, RunOptions, RunResult, run_feed};
use iarss::model::Domain;
use iarss::store::{FeedKind, NewPage, Page, Store};

use crate::kit as common;

/// The page's domain.
pub const DOMAIN: &str = "example.com";
/// `op-published` of every article unless told otherwise.
pub const PUBLISHED: &str = "2024-03-10T08:00:00Z";

/// One test per backend for each `async fn scenario(db: &str)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $scenario() {
                    let db = $crate::kit::publishing::sqlite_db(stringify!($scenario));
                    $crate::kit::publishing::block_on(super::$scenario(&db));
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $scenario() {
                    let db = $crate::kit::PgDb::create(stringify!($scenario));
                    $crate::kit::publishing::block_on(super::$scenario(db.url()));
                }
            )*
        }
    };
}

/// A fresh SQLite database in its own scratch directory.
pub fn sqlite_db(test: &str) -> String {
    let dir = common::scratch(&format!("publishing-sqlite-{test}"));
    format!("sqlite://{}", dir.join("iarss.db").display())
}

/// Runs a scenario on a multi-threaded runtime.
pub fn block_on<F: Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f);
}

/// The store at `db` with the page `news` on [`DOMAIN`].
pub async fn store_with_page(db: &str) -> (Store, Page) {
    let store = Store::open(db).await.expect("open the store");
    let page = add_page(&store, "news", DOMAIN).await;
    (store, page)
}

/// Adds a page.
pub async fn add_page(store: &Store, id: &str, domain: &str) -> Page {
    store
        .add_page(&NewPage {
            id: id.into(),
            name: id.into(),
            domain: Domain::parse(domain).expect("domain"),
            feed_url: Some(format!("https://feeds.example.org/{id}.xml")),
            dev_feed_url: None,
            enabled: false,
        })
        .await
        .expect("add page")
}

/// One article: valid unless told otherwise.
#[derive(Clone, Debug)]
pub struct Article {
    pub canonical: String,
    pub title: String,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub body: String,
    /// Extra HTML at the end of the article element (e.g. something that warns).
    pub extra: String,
}

/// A valid article at `canonical`, published at [`PUBLISHED`], without `op-modified`.
pub fn article(canonical: &str) -> Article {
    Article {
        canonical: canonical.to_string(),
        title: "Harbour reopens after storm".to_string(),
        published: Some(PUBLISHED.to_string()),
        modified: None,
        body: "The harbour reopened on Friday morning.".to_string(),
        extra: String::new(),
    }
}

impl Article {
    pub fn modified(mut self, at: &str) -> Article {
        self.modified = Some(at.to_string());
        self
    }

    pub fn body(mut self, text: &str) -> Article {
        self.body = text.to_string();
        self
    }

    /// Without the `op-published` time: an error (`missing-op-published`).
    pub fn broken(mut self) -> Article {
        self.published = None;
        self
    }

    /// With an empty paragraph: a warning (`empty-element`).
    pub fn warning(mut self) -> Article {
        self.extra.push_str("<p></p>\n");
        self
    }

    /// The article document.
    pub fn html(&self) -> String {
        let time = |class: &str, at: &Option<String>| {
            at.as_ref().map_or(String::new(), |at| {
                format!("<time class=\"{class}\" datetime=\"{at}\">{at}</time>\n")
            })
        };
        format!(
            "<!doctype html>\n\
             <html lang=\"en\" prefix=\"op: http://media.facebook.com/op#\">\n\
             <head>\n\
             <meta charset=\"utf-8\">\n\
             <link rel=\"canonical\" href=\"{canonical}\">\n\
             <meta property=\"op:markup_version\" content=\"v1.0\">\n\
             </head>\n\
             <body>\n\
             <article>\n\
             <header>\n\
             <h1>{title}</h1>\n\
             {published}{modified}</header>\n\
             <p>{body}</p>\n\
             {extra}</article>\n\
             </body>\n\
             </html>",
            canonical = self.canonical,
            title = self.title,
            published = time("op-published", &self.published),
            modified = time("op-modified", &self.modified),
            body = self.body,
            extra = self.extra,
        )
    }

    fn xml(&self) -> String {
        format!(
            "<item>\n\
             <title>{title}</title>\n\
             <link>{link}</link>\n\
             <guid isPermaLink=\"false\">{link}</guid>\n\
             <pubDate>{date}</pubDate>\n\
             <content:encoded><![CDATA[{content}]]></content:encoded>\n\
             </item>\n",
            title = self.title,
            link = self.canonical,
            date = self.published.as_deref().unwrap_or(PUBLISHED),
            content = self.html(),
        )
    }
}

/// A valid RSS 2.0 feed with these items.
pub fn rss(items: &[Article]) -> String {
    let mut feed = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n\
         <channel>\n\
         <title>Example News</title>\n\
         <link>https://example.com/</link>\n\
         <description>Instant Articles from Example News</description>\n",
    );
    for item in items {
        feed.push_str(&item.xml());
    }
    feed.push_str("</channel>\n</rss>\n");
    feed
}

/// `https://example.com/<path>`.
pub fn url(path: &str) -> String {
    format!("https://{DOMAIN}/{path}")
}

static FEEDS: AtomicU32 = AtomicU32::new(0);

/// Writes `text` to a new file for one run.
pub fn feed_file(text: &str) -> PathBuf {
    let n = FEEDS.fetch_add(1, Ordering::Relaxed);
    let dir = common::scratch(&format!("publishing-feeds-{}-{n}", std::process::id()));
    let path = dir.join("feed.xml");
    std::fs::write(&path, text).expect("write feed");
    path
}

/// A run of a feed with these items, which must end `ok`.
pub async fn ingest(store: &Store, page: &Page, kind: FeedKind, items: &[Article]) -> RunResult {
    let path = feed_file(&rss(items));
    let source = FeedSource::parse(&path.display().to_string());
    let result = run_feed(store, page, &source, kind, &RunOptions::default())
        .await
        .expect("run");
    assert_eq!(result.run.outcome.as_str(), "ok", "{result:?}");
    result
}

/// A production run.
pub async fn ingest_live(store: &Store, page: &Page, items: &[Article]) -> RunResult {
    ingest(store, page, FeedKind::Production, items).await
}
