//! The shapes the API document promises for its strings, held to on every request.
//!
//! The document's `pattern`s are written as literals (the schema attributes take no
//! constants); a test reads the served document and checks each one against its constant
//! here, so what the document promises and what the server refuses never part.

use std::sync::OnceLock;

use regex::Regex;

use super::error::ApiError;

/// A documented string shape: a pattern (ECMA-262 and Rust `regex` agree on every one
/// here) and a length limit in characters.
pub struct Format {
    /// What the value is, for messages.
    what: &'static str,
    /// The pattern, anchored.
    pub pattern: &'static str,
    /// At most this many characters.
    pub max_chars: Option<usize>,
    compiled: OnceLock<Regex>,
}

impl Format {
    const fn new(what: &'static str, pattern: &'static str, max_chars: Option<usize>) -> Format {
        Format {
            what,
            pattern,
            max_chars,
            compiled: OnceLock::new(),
        }
    }

    fn regex(&self) -> &Regex {
        self.compiled
            .get_or_init(|| Regex::new(self.pattern).expect("the formats are valid patterns"))
    }

    /// `true` when `value` has this shape.
    pub fn matches(&self, value: &str) -> bool {
        self.max_chars
            .is_none_or(|max| value.chars().count() <= max)
            && self.regex().is_match(value)
    }

    /// `value` as field `field`, or a `bad_request` that names the field and the shape.
    pub fn check(&self, field: &str, value: &str) -> Result<(), ApiError> {
        if self.matches(value) {
            return Ok(());
        }
        let limit = self
            .max_chars
            .map(|max| format!(", at most {max} characters"))
            .unwrap_or_default();
        Err(ApiError::bad_request(format!(
            "`{field}`: `{}` is not {}{limit}",
            truncated(value).escape_debug(),
            self.what
        )))
    }
}

/// A request part (query or JSON body) whose strings have documented formats: the
/// extractors check them before a handler runs, so every route holds to its document.
pub trait Shaped {
    /// `Ok` when every string has its documented format; otherwise the first that has not.
    fn check_shape(&self) -> Result<(), ApiError> {
        Ok(())
    }
}

/// Checks an optional value.
pub fn check_some(format: &Format, field: &str, value: Option<&str>) -> Result<(), ApiError> {
    value.map_or(Ok(()), |v| format.check(field, v))
}

/// At most 80 characters of a refused value, for its message.
fn truncated(value: &str) -> String {
    let mut out: String = value.chars().take(80).collect();
    if out.len() < value.len() {
        out.push('…');
    }
    out
}

/// A page's id (as the store requires: `store::pages::check_page_id`).
pub static PAGE_ID: Format = Format::new(
    "a page id (letters, digits, `-`, `_`, `.`, starting with a letter or a digit)",
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$",
    None,
);

/// A host name in ASCII (an IDN as its `xn--` form); the last label starts with a letter,
/// so that no domain reads as an IP address.
pub static DOMAIN: Format = Format::new(
    "a host name in ASCII (an IDN as `xn--…`)",
    r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$",
    Some(253),
);

/// A display name: no control character, not only spaces.
pub static PAGE_NAME: Format = Format::new(
    "a name of visible characters (no control character, not only spaces)",
    r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x1F\x7F-\x9F\s][^\x00-\x1F\x7F-\x9F]*$",
    Some(200),
);

/// An http(s) feed URL: a host name or an IPv4 address, a port up to 65535, then printable
/// ASCII (percent-encode the rest).
pub static REMOTE_FEED_URL: Format = Format::new(
    "an http(s) URL (a host name or IPv4 address, then printable ASCII)",
    HTTP_URL,
    Some(2000),
);

/// A page's feed URL: http(s), or `file:///…` (which only a daemon configured with
/// `fetch.allow_file_urls` fetches).
pub static FEED_URL: Format = Format::new(
    "an http(s) URL (a host name or IPv4 address, then printable ASCII) or a `file:///` URL",
    FEED_URL_PATTERN,
    Some(2000),
);

/// A webhook's secret: printable ASCII, no space.
pub static WEBHOOK_SECRET: Format = Format::new(
    "16 to 200 printable ASCII characters (no space)",
    r"^[!-~]{16,200}$",
    None,
);

/// Text to search for: no control character but tab and line breaks.
pub static SEARCH_TEXT: Format = Format::new(
    "search text (no control character)",
    r"^[^\x00-\x08\x0B\x0C\x0E-\x1F]*$",
    Some(500),
);

/// An article's canonical URL as a parameter: not empty, no control character.
pub static ARTICLE_URL: Format = Format::new(
    "a canonical URL (not empty, no control character)",
    r"^[^\x00-\x08\x0B\x0C\x0E-\x1F]+$",
    Some(4000),
);

/// The cursor of the list of pages: the last page id, hex-encoded.
pub static PAGE_CURSOR: Format = Format::new(
    "a cursor of this list (a `next_cursor`)",
    "^([0-9a-f]{2})*$",
    Some(1000),
);

/// The cursor of a list keyed by id (runs, the audit log): the last id in hex.
pub static ID_CURSOR: Format = Format::new(
    "a cursor of this list (a `next_cursor`)",
    "^[0-9a-f]{0,15}$",
    None,
);

/// The cursor of a list of articles: the last item's change time and canonical URL (hex).
pub static ARTICLE_CURSOR: Format = Format::new(
    "a cursor of this list (a `next_cursor`)",
    r"^([0-9]{1,16}\.([0-9a-f]{2})*)?$",
    Some(4000),
);

/// An http(s) URL with a host name or an IPv4 address, a port up to 65535, then printable
/// ASCII: what `url` parses as one, written once for both URL formats.
macro_rules! http_url {
    () => {
        concat!(
            r"https?://",
            r"([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?",
            r"(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])",
            r"|([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?\.?)",
            r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?",
            r"([/?#][!-~]*)?",
        )
    };
}

const HTTP_URL: &str = concat!("^", http_url!(), "$");

const FEED_URL_PATTERN: &str = concat!("^(", http_url!(), "|file:///[!-~]*)$");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_urls_have_their_shape() {
        for ok in [
            "https://news.example.com/feed.xml",
            "http://127.0.0.1:8080/feed?x=1",
            "http://user:p%40ss@example.com/",
            "https://example.com.",
            "http://example.com?page=2",
            "file:///srv/feeds/a.xml",
            "http://xn--bcher-kva.example/",
        ] {
            assert!(FEED_URL.matches(ok), "{ok}");
        }
        for bad in [
            "http://8W:89227",
            "http://0*",
            "ftp://example.com/",
            "http://256.1.1.1/",
            "http://999.1/",
            "http://[::1]/",
            "http://exa mple.com/",
            "http://example.com/a b",
            "HTTP://example.com/",
            "file://host/x",
            "",
        ] {
            assert!(!FEED_URL.matches(bad), "{bad}");
        }
        assert!(!REMOTE_FEED_URL.matches("file:///srv/feeds/a.xml"));
    }

    #[test]
    fn every_url_the_pattern_takes_is_one() {
        // What the document promises must also parse, or a valid request is refused.
        for ok in [
            "http://a.b.c.d:0/",
            "http://1.2.3.4:65535",
            "https://a-b.c0/?#",
            "http://x@a/",
            "http://a.b./%zz",
        ] {
            assert!(FEED_URL.matches(ok), "{ok}");
            assert!(url::Url::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refusals_name_the_field_and_the_shape() {
        let err = DOMAIN
            .check("domain", "0".repeat(300).as_str())
            .unwrap_err();
        let message = err.message;
        assert!(message.starts_with("`domain`: `000"), "{message}");
        assert!(message.contains("at most 253 characters"), "{message}");
        assert!(PAGE_NAME.check("name", "  ").is_err());
        assert!(PAGE_NAME.check("name", "Le Monde").is_ok());
        assert!(SEARCH_TEXT.check("q", "a\u{1}").is_err());
    }
}
