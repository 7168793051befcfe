//! The code paths the fuzz targets drive, one function per target, each taking the raw
//! input bytes. `tests/fuzz_regressions.rs` includes this file too, so a saved input is
//! replayed through exactly what the fuzzer ran.
//!
//! A function returns normally for every input it can handle; a panic (or a failed
//! assertion of an invariant below) is a finding.

use std::io::{self, Read};

use chrono::{Datelike, Timelike};
use chrono_tz::Tz;
use iarss::cli::args::LintFormat;
use iarss::cli::output::{self, LintedInput};
use iarss::model::{CanonicalUrl, Domain, Position, parse_datetime, parse_pubdate};
use iarss::parse::feed::ArticleSource;
use iarss::parse::source::SourceMap;
use iarss::parse::{ParsedArticle, decode_html, read_feed};
use iarss::validate::{ArticleContext, CheckOptions, InputReport, check_input, validate_article};

/// The page domain every target checks canonical URLs against.
pub const DOMAIN: &str = "news.example.com";

/// What `iarss lint` reads before deciding feed versus article (`cli::lint::HEAD_BYTES`).
pub const HEAD_BYTES: usize = 64 * 1024;

/// The zones the datetime target reads offset-less values in: the default, UTC, one with a
/// half-hour DST shift, one far east of UTC and one far west.
const ZONES: [Tz; 5] = [
    chrono_tz::America::Los_Angeles,
    chrono_tz::UTC,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Kiritimati,
    chrono_tz::Pacific::Pago_Pago,
];

/// The options of `iarss lint --domain news.example.com` (one thread, default zone and
/// budget).
pub fn options() -> CheckOptions {
    CheckOptions {
        domain: Some(Domain::parse(DOMAIN).expect("the fuzz domain parses")),
        ..CheckOptions::default()
    }
}

/// Target `lint`: one input as `iarss lint - --domain news.example.com` checks it (the
/// first 64 KiB decide feed versus article, the rest is streamed), then rendered in every
/// output format.
pub fn lint(data: &[u8]) -> InputReport {
    let options = options();
    let split = data.len().min(HEAD_BYTES);
    let report = check_input(data[..split].to_vec(), &data[split..], &options);
    let mut linted = vec![LintedInput::new("-", report, Some(data.to_vec()))];
    for format in [
        LintFormat::Text,
        LintFormat::Json,
        LintFormat::Sarif,
        LintFormat::Github,
    ] {
        let mut out = Vec::new();
        output::render(format, &linted, &mut out).expect("rendering into memory succeeds");
    }
    let report = linted.pop().expect("one input").report;
    assert!(
        !report.diagnostics.is_empty() || !report.articles.is_empty(),
        "a lint reports a feed-level diagnostic or at least one article"
    );
    report
}

/// Target `article`: one article file's bytes decoded as `iarss lint` decodes an article,
/// parsed, and checked by every article rule.
pub fn article(data: &[u8]) {
    let (html, _) = decode_html(data);
    let source = ArticleSource {
        html,
        map: SourceMap::verbatim(Position::START),
    };
    let options = options();
    let parsed = ParsedArticle::parse(source, options.zone);
    let cx = ArticleContext {
        item: None,
        domain: options.domain.as_ref(),
        zone: options.zone,
    };
    let (diagnostics, canonical) = validate_article(&parsed, cx);
    for d in &diagnostics {
        let _ = d.help();
    }
    if let Some(c) = canonical {
        let _ = c.host();
    }
    for t in parsed
        .ia
        .header
        .published_time()
        .into_iter()
        .chain(parsed.ia.header.modified_time())
    {
        let _ = t.instant.timestamp();
    }
}

/// Target `feed`: the RSS reader alone. The first KiB (at most) is the already-read head;
/// the rest arrives in small reads of 1 to 13 bytes, so multi-byte characters, entity
/// references and tags are split across reads.
pub fn feed(data: &[u8]) {
    let split = data.len().min(1024);
    let rest = Trickle {
        data: &data[split..],
        step: 0,
    };
    let mut items = 0usize;
    let result = read_feed(data[..split].to_vec(), rest, None, |item| {
        assert_eq!(item.index, items, "items are numbered in order");
        items += 1;
        if let Some(content) = &item.content {
            let _ = content.position(0);
            let _ = content.position(content.html.len());
        }
    });
    if let Ok(channel) = result {
        assert_eq!(channel.items, items, "every item was handed over");
    }
}

/// A reader that hands its bytes over a few at a time.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.step += 1;
        let n = (self.step % 13 + 1).min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Target `datetime`: the `op-published` / `op-modified` grammar and RSS `pubDate`, in
/// several zones. A value that gave its own offset must read back the same instant from
/// its RFC 3339 form (and, to the second, from an RFC 5322 form).
pub fn datetime(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for zone in ZONES {
        let iso = parse_datetime(text, zone);
        let pubdate = parse_pubdate(text, zone);
        if let Some(v) = iso {
            assert_eq!(pubdate, Some(v), "a datetime is also a valid pubDate");
        }
        for v in iso.into_iter().chain(pubdate) {
            if !v.has_offset || !(1000..=9999).contains(&v.instant.year()) {
                continue;
            }
            let rfc3339 = v.instant.to_rfc3339();
            assert_eq!(
                parse_datetime(&rfc3339, zone),
                Some(v),
                "{rfc3339} reads back"
            );
            if v.instant.nanosecond() == 0 {
                let rfc5322 = v.instant.format("%a, %d %b %Y %H:%M:%S +0000").to_string();
                assert_eq!(
                    parse_pubdate(&rfc5322, zone),
                    Some(v),
                    "{rfc5322} reads back"
                );
            }
        }
    }
}

/// Target `url`: canonical URL and domain parsing. The first line is read as a canonical
/// URL and as a domain, the rest (if any) as a domain to match the URL's host against.
/// A parsed domain is already normalised: it parses to itself and matches itself.
pub fn url(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (first, second) = text.split_once('\n').unwrap_or((text, ""));
    let canonical = CanonicalUrl::parse(first);
    if let Some(c) = &canonical {
        let host = c.host();
        let _ = c.has_query_or_fragment();
        let _ = c.url().join("a/../b?c#d");
        assert_eq!(CanonicalUrl::parse(c.as_str()).as_ref(), Some(c));
        if let Ok(d) = Domain::parse(&host) {
            assert!(d.matches_host(&host), "{host} matches its own domain {d}");
        }
    }
    for raw in [first, second] {
        if let Ok(d) = Domain::parse(raw) {
            assert!(d.matches_host(d.as_str()), "{d} matches itself");
            let again = Domain::parse(d.as_str());
            assert_eq!(again.ok().as_ref(), Some(&d), "{d} parses to itself");
            if let Some(c) = &canonical {
                let _ = d.matches_host(&c.host());
            }
        }
    }
}
