//! A deterministic generator of Instant Articles RSS 2.0 feeds, for the tests and the
//! benchmarks: the same [`FeedSpec`] gives a byte-identical file, with no clock and no
//! hash order involved.
//!
//! Shapes:
//! - `Normal`: realistic articles, about 12 KB of HTML each (a mix of briefs, standard
//!   stories and long reads): cover figures, paragraphs with inline markup, slideshows,
//!   interactive embeds, social embeds, ads, trackers, video, maps, lists, quotes, related
//!   articles and a footer, on `news.example.com` and its subdomains.
//! - `Huge`: each article padded to `article_bytes` of HTML.
//! - `Deep`: the first article's body also holds `depth` nested elements (HTML nesting).
//! - `DeepXml`: the first item also carries `depth` nested XML elements outside the article.
//! - `Tiny`: minimal items (about 1 KB each).
//!
//! `invalid_rate` is the fraction of articles that each break exactly one rule (chosen
//! uniformly from [`RULES`]); the returned [`Truth`] says which, with the rule id that
//! `iarss lint --domain news.example.com` reports for it. `escaped_rate` is the fraction of
//! items whose `content:encoded` is entity-escaped text instead of CDATA.
//!
//! The tests include it through the test kit (`tests/kit/mod.rs`); the benchmarks with
//! `#[path = "../tests/kit/feedgen.rs"] mod feedgen;`.

#![allow(dead_code)]

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Bumped whenever the output for a given spec changes, so cached feeds are not reused.
pub const VERSION: u32 = 1;

/// The kind of feed to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Normal,
    Huge,
    Deep,
    DeepXml,
    Tiny,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct FeedSpec {
    /// Number of items.
    pub items: usize,
    /// The seed: same spec, same bytes.
    pub seed: u64,
    /// Fraction of articles that break exactly one rule.
    pub invalid_rate: f64,
    /// Fraction of items with entity-escaped rather than CDATA content.
    pub escaped_rate: f64,
    pub shape: Shape,
    /// HTML size each article is padded to (shape `Huge`).
    pub article_bytes: usize,
    /// Nesting depth (shapes `Deep` and `DeepXml`).
    pub depth: usize,
}

impl FeedSpec {
    /// `items` normal, valid articles with CDATA content.
    pub fn new(items: usize, seed: u64) -> FeedSpec {
        FeedSpec {
            items,
            seed,
            invalid_rate: 0.0,
            escaped_rate: 0.0,
            shape: Shape::Normal,
            article_bytes: 10 * 1024 * 1024,
            depth: 10_000,
        }
    }

    pub fn invalid_rate(mut self, rate: f64) -> FeedSpec {
        self.invalid_rate = rate;
        self
    }

    pub fn escaped_rate(mut self, rate: f64) -> FeedSpec {
        self.escaped_rate = rate;
        self
    }

    pub fn shape(mut self, shape: Shape) -> FeedSpec {
        self.shape = shape;
        self
    }

    pub fn article_bytes(mut self, bytes: usize) -> FeedSpec {
        self.article_bytes = bytes;
        self
    }

    pub fn depth(mut self, depth: usize) -> FeedSpec {
        self.depth = depth;
        self
    }

    // The reference corpora of the benchmarks.

    /// 500 articles, about 6.4 MB.
    pub fn medium() -> FeedSpec {
        FeedSpec::new(500, 2)
    }

    /// 5,000 articles, about 65 MB.
    pub fn large() -> FeedSpec {
        FeedSpec::new(5000, 3)
    }

    /// 500 articles, a fifth of them broken, a tenth entity-escaped.
    pub fn medium_invalid() -> FeedSpec {
        FeedSpec::new(500, 4).invalid_rate(0.2).escaped_rate(0.1)
    }

    /// One 10 MiB article.
    pub fn huge() -> FeedSpec {
        FeedSpec::new(1, 5)
            .shape(Shape::Huge)
            .article_bytes(10 * 1024 * 1024)
    }

    /// One article with 10,000-deep HTML nesting.
    pub fn deep() -> FeedSpec {
        FeedSpec::new(1, 6).shape(Shape::Deep).depth(10_000)
    }

    /// One item with 10,000-deep XML nesting.
    pub fn deepxml() -> FeedSpec {
        FeedSpec::new(1, 7).shape(Shape::DeepXml).depth(10_000)
    }

    /// 100,000 tiny items, about 96 MB.
    pub fn tiny() -> FeedSpec {
        FeedSpec::new(100_000, 8).shape(Shape::Tiny)
    }
}

/// What one item is, in feed order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truth {
    pub guid: String,
    /// The item `<link>` (the intended canonical URL).
    pub link: String,
    /// Bytes of the article's HTML.
    pub html_bytes: usize,
    /// The injected violation, if any (one of [`RULES`]).
    pub violation: Option<&'static str>,
    /// The rule id the violation must be reported as.
    pub rule: Option<&'static str>,
}

/// The violations that can be injected, with the rule id each must trigger.
pub const RULES: [(&str, &str); 10] = [
    // no <time class="op-published">
    ("missing_op_published", "missing-op-published"),
    // <p>..<figure>..</figure>..</p>
    ("figure_in_p", "figure-in-paragraph"),
    // a canonical URL on a domain that is not the publisher's
    ("foreign_canonical", "canonical-domain-mismatch"),
    // <br><br> inside a paragraph
    ("double_br", "consecutive-line-breaks"),
    // <figcaption><p>..</p></figcaption>
    ("figcaption_p", "caption-unsupported-child"),
    // op-interactive iframe height="2000"
    ("iframe_height_2000", "interactive-height-invalid"),
    // <img src="....svg">
    ("svg_image", "image-svg-unsupported"),
    // <video muted>
    ("video_muted", "video-muted-unsupported"),
    // no <link rel="canonical"> (the item <link> stays)
    ("missing_canonical", "missing-canonical"),
    // no <meta property="op:markup_version">
    ("missing_markup_version", "missing-markup-version"),
];

/// Writes the feed of `spec` to `dir/name` and returns its path.
pub fn generate(dir: &Path, name: &str, spec: &FeedSpec) -> PathBuf {
    generate_with_truth(dir, name, spec).0
}

/// Writes the feed of `spec` to `dir/name`; returns its path and what each item is.
pub fn generate_with_truth(dir: &Path, name: &str, spec: &FeedSpec) -> (PathBuf, Vec<Truth>) {
    let path = dir.join(name);
    // Written beside and renamed, so an interrupted run leaves no partial feed behind.
    let tmp = dir.join(format!("{name}.partial"));
    let file = File::create(&tmp).unwrap_or_else(|e| panic!("create {}: {e}", tmp.display()));
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let truth = write_feed(spec, &mut out)
        .and_then(|t| out.flush().map(|()| t))
        .unwrap_or_else(|e| panic!("write {}: {e}", tmp.display()));
    drop(out);
    std::fs::rename(&tmp, &path).unwrap_or_else(|e| panic!("rename to {}: {e}", path.display()));
    (path, truth)
}

/// The feed of `spec` in `dir`, generated unless a previous run left it there (the file
/// name carries the generator's [`VERSION`]).
pub fn cached(dir: &Path, name: &str, spec: &FeedSpec) -> PathBuf {
    let file = format!("{name}.v{VERSION}.xml");
    let path = dir.join(&file);
    if path.exists() {
        path
    } else {
        generate(dir, &file, spec)
    }
}

/// Writes the feed of `spec` to `out`; returns what each item is.
pub fn write_feed(spec: &FeedSpec, out: &mut impl Write) -> io::Result<Vec<Truth>> {
    let mut g = Gen::new(spec.seed);
    let mut truth = Vec::with_capacity(spec.items);
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\" \
         xmlns:ext=\"urn:example:ext\">\n<channel>\n\
         <title>Example News \u{2014} Instant Articles</title>\n\
         <link>https://news.example.com/</link>\n\
         <description>Latest stories from Example News, formatted for Instant Articles.</description>\n\
         <language>en-us</language>\n\
         <lastBuildDate>{}</lastBuildDate>\n\
         <atom:link href=\"https://news.example.com/feeds/ia.rss\" rel=\"self\" type=\"application/rss+xml\"/>\n",
        rfc2822(BASE_TIME)
    )?;
    let mut t = BASE_TIME;
    for n in 0..spec.items {
        t -= g.r.range(30, 1800);
        let published = t;
        let modified = published + 60 * *g.r.choice(&[0, 0, 5, 17, 60, 240]);
        let canonical = g.article_url(published, None);
        let mut title = g.sentence(6, 14);
        title.pop();
        let author = g.name();
        let violation = if spec.invalid_rate > 0.0 && g.r.random() < spec.invalid_rate {
            Some(*g.r.choice(&RULES))
        } else {
            None
        };
        let v = violation.map(|(v, _)| v);
        let times = Times {
            published,
            modified,
        };
        let html = match spec.shape {
            Shape::Tiny => g.tiny_article(&title, &canonical, published),
            Shape::Huge => g.article(
                &title,
                &canonical,
                times,
                &author,
                v,
                None,
                "",
                spec.article_bytes,
            ),
            Shape::Deep if n == 0 => {
                let deep = deep_html(spec.depth);
                g.article(&title, &canonical, times, &author, v, Some(8), &deep, 0)
            }
            _ => g.article(&title, &canonical, times, &author, v, None, "", 0),
        };
        let perma = g.r.random() < 0.5;
        let guid = if perma {
            canonical.clone()
        } else {
            format!("example-news-{:012x}", g.r.bits(48))
        };
        let desc = if spec.shape == Shape::Tiny {
            g.words(8)
        } else {
            g.sentence(16, 40)
        };
        let mut item = String::with_capacity(html.len() + 1024);
        item.push_str("<item>\n");
        item.push_str(&format!("<title>{}</title>\n", xml_escape(&title)));
        item.push_str(&format!("<link>{}</link>\n", xml_escape(&canonical)));
        item.push_str(&format!(
            "<guid isPermaLink=\"{perma}\">{}</guid>\n",
            xml_escape(&guid)
        ));
        item.push_str(&format!("<pubDate>{}</pubDate>\n", rfc2822(published)));
        if spec.shape != Shape::Tiny {
            item.push_str(&format!(
                "<dc:creator>{}</dc:creator>\n",
                xml_escape(&author)
            ));
            item.push_str(&format!("<category>{}</category>\n", g.r.choice(SECTIONS)));
        }
        item.push_str(&format!(
            "<description>{}</description>\n",
            xml_escape(&desc)
        ));
        if spec.shape == Shape::DeepXml && n == 0 {
            item.push_str("<ext:meta>");
            item.push_str(&"<ext:n>".repeat(spec.depth));
            item.push('x');
            item.push_str(&"</ext:n>".repeat(spec.depth));
            item.push_str("</ext:meta>\n");
        }
        if spec.escaped_rate > 0.0 && g.r.random() < spec.escaped_rate {
            item.push_str("<content:encoded>");
            item.push_str(&xml_escape(&html));
            item.push_str("</content:encoded>\n");
        } else {
            item.push_str("<content:encoded><![CDATA[");
            item.push_str(&html.replace("]]>", "]]]]><![CDATA[>"));
            item.push_str("]]></content:encoded>\n");
        }
        item.push_str("</item>\n");
        out.write_all(item.as_bytes())?;
        truth.push(Truth {
            guid,
            link: canonical,
            html_bytes: html.len(),
            violation: v,
            rule: violation.map(|(_, rule)| rule),
        });
    }
    out.write_all(b"</channel>\n</rss>\n")?;
    Ok(truth)
}

// ---- randomness ------------------------------------------------------------------------

/// SplitMix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn random(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in [lo, hi], both included.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    fn choice<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `k` random bits (1 ≤ k ≤ 64).
    fn bits(&mut self, k: u32) -> u64 {
        self.next_u64() >> (64 - k)
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.random()
    }
}

// ---- vocabulary --------------------------------------------------------------------------

const WORDS: &str = "the of and to a in is that for it as was with be by on not he this are or his \
    from at which but have an they you were her she there been one all we their \
    has would when if so no will what more about up out can who said into time \
    them some could new other than then its only over also after most first \
    year years people two like made may between many before city state government \
    council minister report police court week month percent million billion market \
    company shares investors price prices energy climate water school students \
    health hospital patients doctors election vote voters party leader officials \
    season team coach players match game goal league final championship club \
    fans stadium record history museum festival music film series album artist \
    author book research scientists study data evidence university professor \
    technology software users phone internet privacy security network platform \
    bank inflation rates economy growth jobs workers union strike wages housing \
    rent homes building project plan budget tax spending program service public \
    local national international global region country border trade deal talks \
    agreement president senator committee hearing law bill rules policy changes \
    storm weather rain flooding heat fire residents neighborhood streets traffic \
    airport flight train station road bridge construction design architecture \
    food restaurant chef menu wine coffee market farmers harvest crops drought \
    ocean river mountain park wildlife species forest island coast beach summer \
    winter spring autumn morning evening night today yesterday tomorrow recently \
    according expected announced reported confirmed declined described warned \
    increased decreased remained continued included suggested argued believed \
    important significant major small large early late long short high low \
    difficult possible likely clear strong full open free available different \
    however although because while during despite without within across toward \
    Müller café naïve São Paulo Zürich Kraków Ångström résumé jalapeño Dvořák";

const FIRST: &[&str] = &[
    "Ana", "Ben", "Chloé", "Dmitri", "Elif", "Farah", "Grace", "Hiro", "Ines", "Jonas", "Kofi",
    "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quinn", "Rafael", "Sofia", "Tomás", "Uma",
    "Viktor", "Wen", "Yara", "Zoë",
];

const LAST: &[&str] = &[
    "Adeyemi", "Brennan", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Haddad",
    "Ivanova", "Jensen", "Kowalski", "López", "Moreau", "Nakamura", "O'Neill", "Petrov", "Quispe",
    "Rossi", "Schäfer", "Tanaka", "Usman", "Varga", "Walsh", "Xu", "Yılmaz", "Zhang",
];

const SECTIONS: &[&str] = &[
    "news", "world", "politics", "business", "tech", "science", "sport", "culture", "opinion",
    "travel", "food", "climate",
];

const HOSTS: &[&str] = &[
    "news.example.com",
    "news.example.com",
    "news.example.com",
    "news.example.com",
    "news.example.com",
    "news.example.com",
    "www.news.example.com",
    "sport.news.example.com",
    "money.news.example.com",
    "local.news.example.com",
    "m.news.example.com",
];

const CDN: &[&str] = &[
    "https://cdn.news.example.com/img",
    "https://images.example.com/i",
    "https://static.news.example.com/media",
];

const FOREIGN: &[&str] = &[
    "https://www.rival-daily.example.net",
    "https://aggregator.example.org",
    "http://news.example.com.evil.example.net",
];

// ---- time ---------------------------------------------------------------------------------

const DAY: i64 = 86_400;

/// 2026-11-01T06:00:00Z, in seconds since the epoch.
const BASE_TIME: i64 = 20_758 * DAY + 6 * 3600;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A UTC time broken down.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    /// 0 = Sunday.
    weekday: usize,
}

fn civil(t: i64) -> Civil {
    let days = t.div_euclid(DAY);
    let secs = t.rem_euclid(DAY);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs % 3600 / 60,
        second: secs % 60,
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

/// `2026-11-01T06:00:00Z`
fn iso_z(t: i64) -> String {
    let c = civil(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2026-11-01T06:00:00+00:00`
fn iso_offset(t: i64) -> String {
    let mut s = iso_z(t);
    s.pop();
    s.push_str("+00:00");
    s
}

/// `Sun, 01 Nov 2026 06:00:00 +0000`
fn rfc2822(t: i64) -> String {
    let c = civil(t);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][c.weekday],
        c.day,
        &MONTHS[c.month as usize - 1][..3],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// `November 01, 2026 06:00 AM`
fn long_date(t: i64) -> String {
    let c = civil(t);
    let h12 = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
    format!(
        "{} {:02}, {:04} {:02}:{:02} {}",
        MONTHS[c.month as usize - 1],
        c.day,
        c.year,
        h12,
        c.minute,
        if c.hour < 12 { "AM" } else { "PM" }
    )
}

/// `November 01`
fn month_day(t: i64) -> String {
    let c = civil(t);
    format!("{} {:02}", MONTHS[c.month as usize - 1], c.day)
}

/// `2026/11/01`
fn date_path(t: i64) -> String {
    let c = civil(t);
    format!("{:04}/{:02}/{:02}", c.year, c.month, c.day)
}

// ---- text helpers ---------------------------------------------------------------------------

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The first character upper-cased.
fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The first character upper-cased, the rest lower-cased.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Each word capitalized.
fn title_case(s: &str) -> String {
    s.split(' ').map(capitalize).collect::<Vec<_>>().join(" ")
}

fn deep_html(depth: usize) -> String {
    const TAGS: [&str; 4] = ["div", "section", "span", "blockquote"];
    let mut s = String::with_capacity(depth * 26 + 32);
    for i in 0..depth {
        s.push('<');
        s.push_str(TAGS[i % 4]);
        s.push('>');
    }
    s.push_str("deep text at the bottom");
    for i in (0..depth).rev() {
        s.push_str("</");
        s.push_str(TAGS[i % 4]);
        s.push('>');
    }
    s
}

// ---- articles -------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Times {
    published: i64,
    modified: i64,
}

struct Gen {
    r: Rng,
    words: Vec<&'static str>,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            r: Rng(seed),
            words: WORDS.split_whitespace().collect(),
        }
    }

    fn word(&mut self) -> &'static str {
        self.words[self.r.below(self.words.len())]
    }

    fn words(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n * 8);
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.word());
        }
        s
    }

    fn sentence(&mut self, lo: i64, hi: i64) -> String {
        let n = self.r.range(lo, hi) as usize;
        let mut s = upper_first(&self.words(n));
        let end = *self.r.choice(&[".", ".", ".", ".", "?", "!"]);
        s.push_str(end);
        s
    }

    fn name(&mut self) -> String {
        format!("{} {}", self.r.choice(FIRST), self.r.choice(LAST))
    }

    fn slug(&mut self) -> String {
        let n = self.r.range(3, 8);
        let words: Vec<String> = (0..n)
            .map(|_| self.word().to_lowercase())
            .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
            .collect();
        if words.is_empty() {
            "story".into()
        } else {
            words.join("-")
        }
    }

    fn article_url(&mut self, when: i64, host: Option<&str>) -> String {
        let host = match host {
            Some(h) => h,
            None => self.r.choice(HOSTS),
        };
        let section = self.r.choice(SECTIONS);
        format!(
            "https://{host}/{section}/{}/{}-{}",
            date_path(when),
            self.slug(),
            self.r.range(100_000, 999_999)
        )
    }

    fn past_url(&mut self, max_days: i64) -> String {
        let when = BASE_TIME - DAY * self.r.range(1, max_days);
        self.article_url(when, None)
    }

    fn img_url(&mut self, ext: Option<&str>) -> String {
        let ext = match ext {
            Some(e) => e,
            None => self.r.choice(&["jpg", "jpg", "jpg", "png", "webp"]),
        };
        format!(
            "{}/{}/{:016x}_{}.{ext}",
            self.r.choice(CDN),
            self.r.range(2019, 2026),
            self.r.bits(64),
            self.r.choice(&[640, 1024, 1200, 2048])
        )
    }

    /// Sentences with inline markup, entities and links.
    fn inline_text(&mut self, sentences: i64) -> String {
        let mut out = Vec::new();
        for _ in 0..sentences {
            let mut s = self.sentence(8, 24);
            let x = self.r.random();
            if x < 0.18 {
                let mut ws: Vec<String> = s.split(' ').map(str::to_string).collect();
                let i = self.r.below(ws.len());
                let j = ws.len().min(i + self.r.range(1, 4) as usize);
                let tag = *self.r.choice(&["a", "a", "a", "em", "strong", "b", "i"]);
                if tag == "a" {
                    let href = self.past_url(900);
                    ws[i] = format!("<a href=\"{href}\">{}", ws[i]);
                } else {
                    ws[i] = format!("<{tag}>{}", ws[i]);
                }
                ws[j - 1].push_str(&format!("</{tag}>"));
                s = ws.join(" ");
            } else if x < 0.24 {
                s.pop();
                s = format!("{s} &amp; {}.", self.words(3));
            } else if x < 0.30 {
                s = format!("\u{201c}{s}\u{201d} said {}.", self.name());
            } else if x < 0.33 {
                s.pop();
                let (a, b) = (self.words(4), self.words(2));
                s = format!("{s} \u{2014} {a}&#8217;s {b}.");
            }
            out.push(s);
        }
        out.join(" ")
    }

    // ---- blocks ----

    fn paragraph(&mut self, bad_br: bool) -> String {
        let n = self.r.range(2, 6);
        let mut body = self.inline_text(n);
        if bad_br {
            // At least one <br><br>: between sentences, else between words.
            if body.contains(". ") {
                body = body.replace(". ", ".<br><br>");
            } else {
                let half = body.len() / 2;
                match body.char_indices().find(|&(i, c)| i >= half && c == ' ') {
                    Some((k, _)) if k > 0 => body.replace_range(k..k + 1, "<br><br>"),
                    _ => body.push_str("<br><br>"),
                }
            }
        }
        format!("<p>{body}</p>")
    }

    fn caption(&mut self, bad_p: bool) -> String {
        let inner = self.sentence(6, 18);
        let credit = format!("<cite>{} / Example News</cite>", self.name());
        if bad_p {
            return format!("<figcaption><p>{inner}</p>{credit}</figcaption>");
        }
        if self.r.random() < 0.2 {
            return format!(
                "<figcaption><h1>{}</h1>{inner} {credit}</figcaption>",
                self.words(4)
            );
        }
        format!("<figcaption>{inner} {credit}</figcaption>")
    }

    fn image_figure(&mut self, svg: bool, bad_caption: bool) -> String {
        let feedback = if self.r.random() < 0.3 {
            " data-feedback=\"fb:likes, fb:comments\""
        } else {
            ""
        };
        let mode = if self.r.random() < 0.2 {
            " data-mode=\"fullscreen\""
        } else {
            ""
        };
        let caption = if bad_caption || self.r.random() < 0.8 {
            self.caption(bad_caption)
        } else {
            String::new()
        };
        let src = self.img_url(svg.then_some("svg"));
        let alt = self.words(4);
        format!("<figure{feedback}{mode}><img src=\"{src}\" alt=\"{alt}\">{caption}</figure>")
    }

    fn slideshow(&mut self) -> String {
        let n = self.r.range(3, 8);
        let mut inner = String::new();
        for _ in 0..n {
            let src = self.img_url(None);
            let caption = self.caption(false);
            inner.push_str(&format!("<figure><img src=\"{src}\">{caption}</figure>"));
        }
        format!(
            "<figure class=\"op-slideshow\">{inner}<figcaption>{}</figcaption></figure>",
            self.sentence(8, 24)
        )
    }

    fn interactive(&mut self, height: Option<i64>) -> String {
        let h = height.unwrap_or_else(|| *self.r.choice(&[250, 300, 300, 400, 480, 600]));
        if self.r.random() < 0.5 {
            let width = self.r.choice(&[320, 360, 375]);
            return format!(
                "<figure class=\"op-interactive\"><iframe class=\"no-margin\" width=\"{width}\" \
                 height=\"{h}\" src=\"https://graphics.news.example.com/embed/{:x}\">\
                 </iframe></figure>",
                self.r.bits(40)
            );
        }
        let n = self.r.range(8, 40);
        let chart: Vec<String> = (0..n).map(|_| self.r.range(0, 999).to_string()).collect();
        format!(
            "<figure class=\"op-interactive\"><iframe class=\"column-width\" height=\"{h}\">\
             <div id=\"chart-{:x}\" class=\"chart\"></div>\
             <script>var data=[{}];(function(d){{var el=document.getElementById(\"chart\");\
             if(el){{el.dataset.values=d.join(\" \");}}}})(data);</script></iframe></figure>",
            self.r.bits(32),
            chart.join(",")
        )
    }

    fn social(&mut self) -> String {
        let kind = *self
            .r
            .choice(&["twitter", "instagram", "youtube", "facebook"]);
        let class = if self.r.random() < 0.5 {
            "op-social"
        } else {
            "op-interactive"
        };
        let embed = match kind {
            "twitter" => {
                let text = self.sentence(8, 24);
                let link = self.r.bits(30);
                let name = self.name();
                let user = self.r.range(1, 99_999);
                let status = self.r.bits(60);
                format!(
                    "<blockquote class=\"twitter-tweet\" lang=\"en\"><p lang=\"en\" dir=\"ltr\">{text} \
                     <a href=\"https://t.example.com/{link:x}\">pic.example.com/x</a></p>\
                     &mdash; {name} (@user{user}) \
                     <a href=\"https://twitter.example.com/status/{status}\">November 1, 2026</a>\
                     </blockquote><script async src=\"https://platform.twitter.com/widgets.js\" \
                     charset=\"utf-8\"></script>"
                )
            }
            "instagram" => {
                let (a, b) = (self.r.bits(40), self.r.bits(40));
                let text = self.words(6);
                format!(
                    "<blockquote class=\"instagram-media\" \
                     data-instgrm-permalink=\"https://instagram.example.com/p/{a:x}/\" \
                     data-instgrm-version=\"14\"><div><a href=\"https://instagram.example.com/p/{b:x}/\">\
                     {text}</a></div></blockquote><script async src=\"//www.instagram.com/embed.js\"></script>"
                )
            }
            "youtube" => format!(
                "<iframe width=\"560\" height=\"315\" src=\"https://www.youtube.example.com/embed/{:x}\" \
                 frameborder=\"0\" allowfullscreen></iframe>",
                self.r.bits(44)
            ),
            _ => format!(
                "<div class=\"fb-post\" data-href=\"https://www.facebook.example.com/page/posts/{}\" \
                 data-width=\"500\"></div>",
                self.r.bits(50)
            ),
        };
        if kind == "youtube" {
            // A plain video embed: the iframe itself carries src.
            format!("<figure class=\"{class}\">{embed}</figure>")
        } else {
            format!("<figure class=\"{class}\"><iframe>{embed}</iframe></figure>")
        }
    }

    fn ad(&mut self) -> String {
        format!(
            "<figure class=\"op-ad\"><iframe width=\"300\" height=\"250\" style=\"border:0; margin:0;\" \
             src=\"https://ads.example.com/serve?slot={}&amp;pub=news\"></iframe></figure>",
            self.r.range(1, 50)
        )
    }

    fn tracker(&mut self) -> String {
        let ua = self.r.range(10_000, 99_999);
        let title = self.r.bits(32);
        format!(
            "<figure class=\"op-tracker\"><iframe><script>\
             (function(i,s,o,g,r,a,m){{i[\"GoogleAnalyticsObject\"]=r;i[r]=i[r]||function(){{\
             (i[r].q=i[r].q||[]).push(arguments)}};a=s.createElement(o);a.async=1;a.src=g;\
             m=s.getElementsByTagName(o)[0];m.parentNode.insertBefore(a,m)}})(window,document,\
             \"script\",\"https://analytics.example.com/a.js\",\"ga\");ga(\"create\",\"UA-{ua}-1\",\"auto\");\
             ga(\"set\",\"campaignSource\",\"Facebook\");ga(\"send\",\"pageview\",{{title:\"ia-{title:x}\"}});\
             </script></iframe></figure>"
        )
    }

    fn video(&mut self, muted: bool) -> String {
        let attrs = if muted {
            " muted"
        } else if self.r.random() < 0.3 {
            " loop"
        } else {
            ""
        };
        let src = self.r.bits(48);
        let caption = self.caption(false);
        format!(
            "<figure><video{attrs}><source src=\"https://video.news.example.com/{src:x}.mp4\" \
             type=\"video/mp4\"></video>{caption}</figure>"
        )
    }

    fn list_block(&mut self) -> String {
        let tag = *self.r.choice(&["ul", "ol"]);
        let n = self.r.range(3, 7);
        let mut items = String::new();
        for _ in 0..n {
            items.push_str(&format!("<li>{}</li>", self.inline_text(1)));
        }
        format!("<{tag}>{items}</{tag}>")
    }

    fn quote(&mut self) -> String {
        if self.r.random() < 0.6 {
            let n = self.r.range(1, 3);
            return format!("<blockquote>{}</blockquote>", self.inline_text(n));
        }
        let s = self.sentence(8, 24);
        format!("<aside>{s}<cite>{}</cite></aside>", self.name())
    }

    fn geotag(&mut self) -> String {
        let lat = self.r.uniform(-60.0, 60.0);
        let lon = self.r.uniform(-170.0, 170.0);
        let title = self.words(2);
        let radius = self.r.range(100, 20_000);
        format!(
            "<figure class=\"op-map\"><script type=\"application/json\" class=\"op-geotag\">\
             {{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lon:.5},{lat:.5}]}},\
             \"properties\":{{\"title\":\"{title}\",\"radius\":{radius}}}}}</script></figure>"
        )
    }

    fn related(&mut self) -> String {
        let n = self.r.range(2, 4);
        let mut items = String::new();
        for _ in 0..n {
            let sponsored = if self.r.random() < 0.1 {
                " data-sponsored=\"true\""
            } else {
                ""
            };
            let href = self.past_url(400);
            items.push_str(&format!("<li{sponsored}><a href=\"{href}\"></a></li>"));
        }
        let title = title_case(&self.words(2));
        format!("<ul class=\"op-related-articles\" title=\"{title}\">{items}</ul>")
    }

    // ---- article ----

    /// The body blocks, with `violation` injected into one of them if asked.
    fn body_blocks(&mut self, paragraphs: usize, violation: Option<&str>) -> Vec<String> {
        let mut blocks = Vec::new();
        let inject_at = self.r.below(paragraphs.max(1));
        for i in 0..paragraphs {
            let here = i == inject_at;
            match violation {
                Some("double_br") if here => blocks.push(self.paragraph(true)),
                Some("figure_in_p") if here => {
                    let a = self.inline_text(2);
                    let figure = self.image_figure(false, false);
                    let b = self.inline_text(1);
                    blocks.push(format!("<p>{a} {figure} {b}</p>"));
                }
                _ => blocks.push(self.paragraph(false)),
            }
            if here {
                match violation {
                    Some("figcaption_p") => blocks.push(self.image_figure(false, true)),
                    Some("iframe_height_2000") => blocks.push(self.interactive(Some(2000))),
                    Some("svg_image") => blocks.push(self.image_figure(true, false)),
                    Some("video_muted") => blocks.push(self.video(true)),
                    _ => {}
                }
            }
            let x = self.r.random();
            if i != 0 && i as i64 % self.r.range(4, 7) == 0 && x < 0.6 {
                let n = self.r.range(3, 8) as usize;
                blocks.push(format!("<h2>{}</h2>", capitalize(&self.words(n))));
            }
            let x = self.r.random();
            if x < 0.13 {
                blocks.push(self.image_figure(false, false));
            } else if x < 0.15 {
                blocks.push(self.slideshow());
            } else if x < 0.19 {
                blocks.push(self.interactive(None));
            } else if x < 0.23 {
                blocks.push(self.social());
            } else if x < 0.28 {
                blocks.push(self.list_block());
            } else if x < 0.33 {
                blocks.push(self.quote());
            } else if x < 0.345 {
                blocks.push(self.video(false));
            } else if x < 0.35 {
                blocks.push(self.geotag());
            }
            if i != 0 && i % 8 == 0 && self.r.random() < 0.5 {
                blocks.push(self.ad());
            }
        }
        blocks
    }

    #[allow(clippy::too_many_arguments)]
    fn article(
        &mut self,
        title: &str,
        canonical: &str,
        times: Times,
        author: &str,
        violation: Option<&str>,
        paragraphs: Option<usize>,
        extra_body: &str,
        pad_to: usize,
    ) -> String {
        let paragraphs = paragraphs.unwrap_or_else(|| {
            let c = self.r.random();
            let (lo, hi) = if c < 0.35 {
                (5, 10) // brief
            } else if c < 0.87 {
                (11, 22) // standard story
            } else {
                (26, 50) // long read
            };
            self.r.range(lo, hi) as usize
        });
        let mut head = vec!["<meta charset=\"utf-8\">".to_string()];
        let canonical = if violation == Some("foreign_canonical") {
            let host = self.r.choice(FOREIGN);
            format!("{host}/{}-{}", self.slug(), self.r.range(1000, 99_999))
        } else {
            canonical.to_string()
        };
        if violation != Some("missing_canonical") {
            head.push(format!("<link rel=\"canonical\" href=\"{canonical}\">"));
        }
        if violation != Some("missing_markup_version") {
            head.push("<meta property=\"op:markup_version\" content=\"v1.0\">".into());
        }
        head.push(format!(
            "<meta property=\"fb:article_style\" content=\"{}\">",
            self.r.choice(&["default", "news", "longform"])
        ));
        if self.r.random() < 0.5 {
            head.push(
                "<meta property=\"fb:use_automatic_ad_placement\" content=\"enable=true ad_density=default\">"
                    .into(),
            );
        }
        if self.r.random() < 0.3 {
            head.push("<meta property=\"fb:likes_and_comments\" content=\"enable\">".into());
        }
        head.push(format!("<title>{title}</title>"));

        let mut header = Vec::new();
        if self.r.random() < 0.85 {
            let src = self.img_url(None);
            let caption = if self.r.random() < 0.6 {
                self.caption(false)
            } else {
                String::new()
            };
            header.push(format!("<figure><img src=\"{src}\">{caption}</figure>"));
        } else {
            header.push(self.video(false));
        }
        header.push(format!("<h1>{title}</h1>"));
        if self.r.random() < 0.5 {
            header.push(format!("<h2>{}</h2>", self.sentence(8, 16)));
        }
        if self.r.random() < 0.4 {
            header.push(format!(
                "<h3 class=\"op-kicker\">{}</h3>",
                title_case(&self.words(2))
            ));
        }
        header.push(format!(
            "<address><a rel=\"facebook\" href=\"https://www.facebook.example.com/{}\">{author}</a>{}</address>",
            author.replace(' ', ".").to_lowercase(),
            self.words(6)
        ));
        if violation != Some("missing_op_published") {
            header.push(format!(
                "<time class=\"op-published\" datetime=\"{}\">{}</time>",
                iso_z(times.published),
                long_date(times.published)
            ));
        }
        header.push(format!(
            "<time class=\"op-modified\" dateTime=\"{}\">{}</time>",
            iso_z(times.modified),
            long_date(times.modified)
        ));
        if self.r.random() < 0.3 {
            header.push(self.ad());
        }

        let mut body = self.body_blocks(paragraphs, violation);
        if !extra_body.is_empty() {
            body.push(extra_body.to_string());
        }
        if pad_to > 0 {
            let mut size: usize = body.iter().map(String::len).sum();
            while size < pad_to {
                let more = self.body_blocks(40, None);
                size += more.iter().map(String::len).sum::<usize>();
                body.extend(more);
            }
        }
        if self.r.random() < 0.3 {
            body.push(self.tracker());
        }
        if self.r.random() < 0.7 {
            body.push(self.related());
        }
        let footer = format!(
            "<footer><aside><p>{}</p><p>Additional reporting by {}.</p></aside>\
             <small>\u{a9} 2026 Example News Group. All rights reserved.</small></footer>",
            self.sentence(8, 24),
            self.name()
        );
        format!(
            "<!doctype html>\n<html lang=\"en\" prefix=\"op: http://media.facebook.com/op#\">\n\
             <head>\n{}\n</head>\n<body>\n<article>\n<header>\n{}\n</header>\n{}\n{footer}\n\
             </article>\n</body>\n</html>",
            head.join("\n"),
            header.join("\n"),
            body.join("\n")
        )
    }

    fn tiny_article(&mut self, title: &str, canonical: &str, published: i64) -> String {
        format!(
            "<!doctype html><html><head><link rel=\"canonical\" href=\"{canonical}\">\
             <meta property=\"op:markup_version\" content=\"v1.0\"></head><body><article><header>\
             <h1>{title}</h1><time class=\"op-published\" datetime=\"{}\">{}</time></header>\
             <p>{}.</p></article></body></html>",
            iso_offset(published),
            month_day(published),
            self.words(12)
        )
    }
}
