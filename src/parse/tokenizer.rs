//! The HTML tokenizer: turns an article's HTML into html5ever tokens for its tree builder,
//! and records every tag *as written* with its byte offset.
//!
//! It implements the HTML tokenization states an article meets (data, tags and attributes,
//! character references, comments, RCDATA, RAWTEXT, script data, PLAINTEXT, CDATA in
//! foreign content) with `memchr` over runs of text, which is several times faster than
//! html5ever's character-at-a-time tokenizer, and it knows the source offset of every token,
//! so elements get exact positions. html5ever's tree builder still decides the tree.
//!
//! The recorded [`SourceScan`] keeps the source nesting (a stack of start tags as written)
//! that the paragraph rules are decided on (docs/decisions.md, Paragraphs and HTML5 parsing),
//! and flags tags nested deeper than [`MAX_SOURCE_DEPTH`], which are dropped so that no input
//! makes tree building quadratic.

use std::borrow::Cow;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{Tag, TagKind as TokTagKind, Token};
use html5ever::{Attribute, LocalName, QualName, local_name, ns};
use memchr::{memchr, memchr2, memchr3};

/// Elements nested deeper than this in the source are flattened (`nesting-too-deep`).
pub const MAX_SOURCE_DEPTH: usize = 512;

/// Start or end tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    /// `<name …>`.
    Start,
    /// `</name>`.
    End,
}

/// One tag token as written.
#[derive(Clone, Debug)]
pub struct SourceTag {
    /// Start or end.
    pub kind: TagKind,
    /// Lower-cased tag name.
    pub name: LocalName,
    /// Byte offset of the `<`.
    pub offset: usize,
    /// Byte offset just past the `>`.
    pub end: usize,
    /// For a start tag: a `p` was open in the source when it started.
    pub in_source_p: bool,
    /// After this tag, a `p` is open in the source.
    pub p_open_after: bool,
    /// For a start tag: offset of the end tag that closed it in the source; the input's
    /// length when nothing did.
    pub close: usize,
    /// The tag is nested deeper than [`MAX_SOURCE_DEPTH`] (or closes one that is) and is
    /// dropped before tree building.
    pub too_deep: bool,
}

/// Every tag of one document as written.
#[derive(Debug, Default)]
pub struct SourceScan {
    /// Tag tokens in source order.
    pub tags: Vec<SourceTag>,
    /// Offset of the first start tag nested too deep, if any.
    pub first_too_deep: Option<usize>,
}

// As atoms: a start tag is compared with these by one integer each, not by its text.
static VOID: [LocalName; 19] = [
    local_name!("area"),
    local_name!("base"),
    local_name!("br"),
    local_name!("col"),
    local_name!("embed"),
    local_name!("hr"),
    local_name!("img"),
    local_name!("input"),
    local_name!("link"),
    local_name!("meta"),
    local_name!("source"),
    local_name!("track"),
    local_name!("wbr"),
    local_name!("image"),
    local_name!("param"),
    local_name!("keygen"),
    local_name!("basefont"),
    local_name!("bgsound"),
    local_name!("frame"),
];
static RAW_TEXT: [LocalName; 10] = [
    local_name!("script"),
    local_name!("style"),
    local_name!("xmp"),
    local_name!("iframe"),
    local_name!("noembed"),
    local_name!("noframes"),
    local_name!("noscript"),
    local_name!("textarea"),
    local_name!("title"),
    local_name!("plaintext"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Data,
    /// RCDATA: text with character references, up to the appropriate end tag.
    RcData,
    /// RAWTEXT and script data: text up to the appropriate end tag.
    RawText,
    Plaintext,
}

/// A token, with the index of its [`SourceTag`] for tag tokens.
pub struct Emitted {
    /// The token for the tree builder.
    pub token: Token,
    /// For tags: index into [`SourceScan::tags`].
    pub tag: Option<usize>,
}

/// The tokenizer over one document.
pub struct HtmlTokenizer<'a> {
    html: &'a str,
    b: &'a [u8],
    pos: usize,
    mode: Mode,
    last_start: Option<LocalName>,
    scan: SourceScan,
    stack: Vec<(LocalName, usize)>,
    open_p: usize,
    dropped_depth: usize,
    done: bool,
    /// Offset of the first `&`, CR or NUL at or after the last text looked at (the input's
    /// length when none): see [`HtmlTokenizer::text`].
    special: usize,
}

impl<'a> HtmlTokenizer<'a> {
    /// A tokenizer at the start of `html`.
    pub fn new(html: &'a str) -> Self {
        HtmlTokenizer {
            html,
            b: html.as_bytes(),
            pos: 0,
            mode: Mode::Data,
            last_start: None,
            // About one tag per 48 bytes of article HTML or fewer: sized once rather than
            // grown (and copied) ten times on the way to an article's thousand tags.
            scan: SourceScan {
                tags: Vec::with_capacity(html.len() / 48 + 8),
                first_too_deep: None,
            },
            stack: Vec::new(),
            open_p: 0,
            dropped_depth: 0,
            done: false,
            special: next_special(html.as_bytes(), 0),
        }
    }

    /// The text `start..end` as it reads, borrowed unless it holds a `&`, CR or NUL that
    /// [`decode_text`] has to work on. Text runs and attribute values are many and short
    /// and those bytes rare, so one search kept across calls answers for most of them
    /// (a search per run cost 2 % of the lint's instructions). Calls come in document order.
    fn text(&mut self, start: usize, end: usize, attribute: bool) -> Cow<'a, str> {
        if self.special < start {
            self.special = next_special(self.b, start);
        }
        if self.special >= end {
            return Cow::Borrowed(&self.html[start..end]);
        }
        decode_text(&self.html[start..end], attribute)
    }

    /// The tags seen so far.
    pub fn scan(&self) -> &SourceScan {
        &self.scan
    }

    /// The finished scan.
    pub fn into_scan(self) -> SourceScan {
        self.scan
    }

    /// Switches state as the tree builder asks after a start tag.
    pub fn switch_to(&mut self, kind: RawKind) {
        self.mode = match kind {
            RawKind::Rcdata => Mode::RcData,
            _ => Mode::RawText,
        };
    }

    /// Switches to PLAINTEXT: the rest of the input is text.
    pub fn switch_to_plaintext(&mut self) {
        self.mode = Mode::Plaintext;
    }

    /// The next token; `in_foreign` tells whether the adjusted current node is foreign
    /// (SVG/MathML), where `<![CDATA[` opens a CDATA section.
    pub fn next_token(&mut self, in_foreign: impl Fn() -> bool) -> Option<Emitted> {
        loop {
            if self.done {
                return None;
            }
            if self.pos >= self.b.len() {
                self.done = true;
                return Some(Emitted {
                    token: Token::EOFToken,
                    tag: None,
                });
            }
            let emitted = match self.mode {
                Mode::Data => self.data(&in_foreign),
                Mode::RcData | Mode::RawText => self.raw_text(),
                Mode::Plaintext => {
                    let text = &self.html[self.pos..];
                    self.pos = self.b.len();
                    Some(text_token(clean_text(text, false)))
                }
            };
            if emitted.is_some() {
                return emitted;
            }
        }
    }

    /// Data state: a run of text, or one markup construct. `None` when it produced nothing
    /// (a doctype, a dropped tag).
    fn data(&mut self, in_foreign: &impl Fn() -> bool) -> Option<Emitted> {
        let start = self.pos;
        let b = self.b;
        // Find the next `<` that opens markup; other `<` are text.
        let mut search = start;
        let lt = loop {
            match memchr(b'<', &b[search..]) {
                None => break None,
                Some(rel) => {
                    let at = search + rel;
                    match b.get(at + 1) {
                        Some(c) if c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?') => {
                            break Some(at);
                        }
                        _ => search = at + 1,
                    }
                }
            }
        };
        let text_end = lt.unwrap_or(b.len());
        if text_end > start {
            self.pos = text_end;
            let text = self.text(start, text_end, false);
            return Some(text_token(text));
        }
        let lt = start;
        match b[lt + 1] {
            b'!' => self.markup_declaration(lt, in_foreign),
            b'?' => {
                self.bogus_comment(lt + 1);
                None
            }
            b'/' => self.end_tag_open(lt),
            _ => self.tag(lt, TagKind::Start),
        }
    }

    fn markup_declaration(&mut self, lt: usize, in_foreign: &impl Fn() -> bool) -> Option<Emitted> {
        let b = self.b;
        let rest = &b[lt + 2..];
        if rest.starts_with(b"--") {
            let body = lt + 4;
            let (text_end, after) = if b[body..].starts_with(b">") {
                (body, body + 1)
            } else if b[body..].starts_with(b"->") {
                (body, body + 2)
            } else {
                let mut i = body;
                loop {
                    match memchr(b'-', &b[i..]) {
                        None => break (b.len(), b.len()),
                        Some(rel) => {
                            let at = i + rel;
                            if b[at..].starts_with(b"-->") {
                                break (at, at + 3);
                            }
                            if b[at..].starts_with(b"--!>") {
                                break (at, at + 4);
                            }
                            i = at + 1;
                        }
                    }
                }
            };
            self.pos = after;
            let text = &self.html[body.min(text_end)..text_end];
            return Some(Emitted {
                token: Token::CommentToken(StrTendril::from_slice(text)),
                tag: None,
            });
        }
        if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"doctype") {
            // The tree builder ignores every doctype after the one iarss supplies.
            self.pos = memchr(b'>', &b[lt..]).map_or(b.len(), |p| lt + p + 1);
            return None;
        }
        if rest.starts_with(b"[CDATA[") && in_foreign() {
            let body = lt + 9;
            let end = find(b, body, b"]]>");
            let text = &self.html[body..end.unwrap_or(b.len())];
            self.pos = end.map_or(b.len(), |e| e + 3);
            return Some(text_token(clean_text(text, false)));
        }
        self.bogus_comment(lt + 2);
        None
    }

    fn bogus_comment(&mut self, from: usize) {
        self.pos = memchr(b'>', &self.b[from..]).map_or(self.b.len(), |p| from + p + 1);
    }

    fn end_tag_open(&mut self, lt: usize) -> Option<Emitted> {
        match self.b.get(lt + 2) {
            Some(c) if c.is_ascii_alphabetic() => self.tag(lt, TagKind::End),
            Some(b'>') => {
                self.pos = lt + 3;
                None
            }
            None => {
                self.pos = self.b.len();
                Some(text_token(Cow::Borrowed("</")))
            }
            Some(_) => {
                self.bogus_comment(lt + 2);
                None
            }
        }
    }

    /// RCDATA / RAWTEXT / script data: text up to the appropriate end tag.
    fn raw_text(&mut self) -> Option<Emitted> {
        let start = self.pos;
        let name = self
            .last_start
            .clone()
            .unwrap_or_else(|| LocalName::from(""));
        let end = find_end_tag(self.b, start, &name).unwrap_or(self.b.len());
        let rcdata = self.mode == Mode::RcData;
        self.mode = Mode::Data;
        if end > start {
            self.pos = end;
            let raw = &self.html[start..end];
            let text = if rcdata {
                decode_text(raw, false)
            } else {
                clean_text(raw, true)
            };
            return Some(text_token(text));
        }
        None
    }

    /// A start or end tag at `lt`.
    fn tag(&mut self, lt: usize, kind: TagKind) -> Option<Emitted> {
        let b = self.b;
        let name_start = if kind == TagKind::End { lt + 2 } else { lt + 1 };
        let mut i = name_start;
        while i < b.len() && !matches!(b[i], b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'/' | b'>') {
            i += 1;
        }
        let name = local_name_of(&self.html[name_start..i]);
        let mut attrs: Vec<Attribute> = Vec::new();
        let mut self_closing = false;
        // Attributes.
        loop {
            while i < b.len() && matches!(b[i], b'\t' | b'\n' | b'\x0C' | b'\r' | b' ') {
                i += 1;
            }
            let Some(&c) = b.get(i) else {
                // EOF in a tag: the tag is dropped.
                self.pos = b.len();
                return None;
            };
            match c {
                b'>' => {
                    i += 1;
                    break;
                }
                b'/' => {
                    i += 1;
                    if b.get(i) == Some(&b'>') {
                        self_closing = true;
                        i += 1;
                        break;
                    }
                }
                _ => {
                    let an_start = i;
                    i += 1; // The first character may be `=`.
                    while i < b.len()
                        && !matches!(
                            b[i],
                            b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'/' | b'>' | b'='
                        )
                    {
                        i += 1;
                    }
                    let an_end = i;
                    while i < b.len() && matches!(b[i], b'\t' | b'\n' | b'\x0C' | b'\r' | b' ') {
                        i += 1;
                    }
                    let mut value: Cow<str> = Cow::Borrowed("");
                    if b.get(i) == Some(&b'=') {
                        i += 1;
                        while i < b.len() && matches!(b[i], b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
                        {
                            i += 1;
                        }
                        match b.get(i) {
                            Some(&q @ (b'"' | b'\'')) => {
                                let vs = i + 1;
                                let Some(rel) = memchr(q, &b[vs..]) else {
                                    self.pos = b.len();
                                    return None;
                                };
                                value = self.text(vs, vs + rel, true);
                                i = vs + rel + 1;
                            }
                            Some(b'>') | None => {}
                            Some(_) => {
                                let vs = i;
                                while i < b.len()
                                    && !matches!(
                                        b[i],
                                        b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'>'
                                    )
                                {
                                    i += 1;
                                }
                                value = self.text(vs, i, true);
                            }
                        }
                    }
                    if kind == TagKind::Start {
                        let an = &self.html[an_start..an_end];
                        let local = match static_name(an.as_bytes()) {
                            Some(local) => local,
                            None => {
                                let an = lower(an);
                                let an = if an.contains('\0') {
                                    Cow::Owned(an.replace('\0', "\u{FFFD}"))
                                } else {
                                    an
                                };
                                LocalName::from(&*an)
                            }
                        };
                        // Duplicate attributes: the first wins.
                        if !attrs.iter().any(|a| a.name.local == local) {
                            attrs.push(Attribute {
                                name: QualName::new(None, ns!(), local),
                                value: StrTendril::from_slice(&value),
                            });
                        }
                    }
                }
            }
        }
        self.pos = i;
        let end = i;
        let index = self.record(kind, name.clone(), lt, end);
        if self.scan.tags[index].too_deep {
            return None;
        }
        if kind == TagKind::Start {
            self.last_start = Some(name.clone());
        }
        let tag = Tag {
            kind: match kind {
                TagKind::Start => TokTagKind::StartTag,
                TagKind::End => TokTagKind::EndTag,
            },
            name,
            self_closing,
            attrs,
            had_duplicate_attributes: false,
        };
        Some(Emitted {
            token: Token::TagToken(tag),
            tag: Some(index),
        })
    }

    /// Records a tag in the scan and keeps the source nesting.
    fn record(&mut self, kind: TagKind, name: LocalName, offset: usize, end: usize) -> usize {
        let index = self.scan.tags.len();
        match kind {
            TagKind::End => {
                // Inside a region dropped for depth, end tags close the dropped elements;
                // elsewhere an end tag pops to its matching start tag, or is ignored.
                let dropped = self.dropped_depth > 0 && !RAW_TEXT.contains(&name);
                if dropped {
                    self.dropped_depth -= 1;
                } else if let Some(pos) = self.stack.iter().rposition(|s| s.0 == name) {
                    for (s, i) in self.stack.drain(pos..) {
                        if s == local_name!("p") {
                            self.open_p -= 1;
                        }
                        self.scan.tags[i].close = offset;
                    }
                }
                self.scan.tags.push(SourceTag {
                    kind,
                    name,
                    offset,
                    end,
                    in_source_p: false,
                    p_open_after: self.open_p > 0,
                    close: end,
                    too_deep: dropped,
                });
            }
            TagKind::Start => {
                let in_p = self.open_p > 0;
                let is_void = VOID.contains(&name);
                let raw = RAW_TEXT.contains(&name);
                let too_deep = !is_void && !raw && self.stack.len() >= MAX_SOURCE_DEPTH;
                if too_deep {
                    self.scan.first_too_deep.get_or_insert(offset);
                    self.dropped_depth += 1;
                } else if !is_void {
                    if name == local_name!("p") {
                        self.open_p += 1;
                    }
                    self.stack.push((name.clone(), index));
                }
                self.scan.tags.push(SourceTag {
                    kind,
                    name,
                    offset,
                    end,
                    in_source_p: in_p,
                    p_open_after: self.open_p > 0,
                    close: self.b.len(),
                    too_deep,
                });
            }
        }
        index
    }
}

fn text_token(text: Cow<str>) -> Emitted {
    Emitted {
        token: Token::CharacterTokens(StrTendril::from_slice(&text)),
        tag: None,
    }
}

/// The lower-cased name as an atom.
fn local_name_of(name: &str) -> LocalName {
    static_name(name.as_bytes()).unwrap_or_else(|| LocalName::from(&*lower(name)))
}

/// The names articles use most, written in lower case, matched without hashing them.
fn static_name(name: &[u8]) -> Option<LocalName> {
    Some(match name {
        b"p" => local_name!("p"),
        b"a" => local_name!("a"),
        b"b" => local_name!("b"),
        b"i" => local_name!("i"),
        b"em" => local_name!("em"),
        b"strong" => local_name!("strong"),
        b"br" => local_name!("br"),
        b"li" => local_name!("li"),
        b"ul" => local_name!("ul"),
        b"ol" => local_name!("ol"),
        b"h1" => local_name!("h1"),
        b"h2" => local_name!("h2"),
        b"h3" => local_name!("h3"),
        b"img" => local_name!("img"),
        b"div" => local_name!("div"),
        b"span" => local_name!("span"),
        b"cite" => local_name!("cite"),
        b"meta" => local_name!("meta"),
        b"link" => local_name!("link"),
        b"time" => local_name!("time"),
        b"html" => local_name!("html"),
        b"head" => local_name!("head"),
        b"body" => local_name!("body"),
        b"aside" => local_name!("aside"),
        b"title" => local_name!("title"),
        b"small" => local_name!("small"),
        b"video" => local_name!("video"),
        b"source" => local_name!("source"),
        b"figure" => local_name!("figure"),
        b"iframe" => local_name!("iframe"),
        b"script" => local_name!("script"),
        b"header" => local_name!("header"),
        b"footer" => local_name!("footer"),
        b"article" => local_name!("article"),
        b"address" => local_name!("address"),
        b"section" => local_name!("section"),
        b"blockquote" => local_name!("blockquote"),
        b"figcaption" => local_name!("figcaption"),
        b"id" => local_name!("id"),
        b"alt" => local_name!("alt"),
        b"rel" => local_name!("rel"),
        b"src" => local_name!("src"),
        b"href" => local_name!("href"),
        b"lang" => local_name!("lang"),
        b"type" => local_name!("type"),
        b"class" => local_name!("class"),
        b"style" => local_name!("style"),
        b"width" => local_name!("width"),
        b"height" => local_name!("height"),
        b"charset" => local_name!("charset"),
        b"content" => local_name!("content"),
        b"property" => local_name!("property"),
        b"datetime" => local_name!("datetime"),
        _ => return None,
    })
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|c| c.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(p) = memchr(needle[0], &b[i.min(b.len())..]) {
        let at = i + p;
        if b[at..].starts_with(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// The offset of `</name` (ASCII case-insensitive, followed by a tag-ending character) at
/// or after `from`.
fn find_end_tag(b: &[u8], from: usize, name: &str) -> Option<usize> {
    let mut i = from;
    while let Some(p) = memchr(b'<', &b[i..]) {
        let at = i + p;
        let after = at + 2 + name.len();
        if b.get(at + 1) == Some(&b'/')
            && b.len() >= after
            && b[at + 2..after].eq_ignore_ascii_case(name.as_bytes())
            && matches!(
                b.get(after),
                None | Some(b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'/' | b'>')
            )
        {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Text as the tokenizer emits it: newlines normalised, NUL dropped (data) or replaced.
fn clean_text(text: &str, replace_nul: bool) -> Cow<'_, str> {
    if memchr2(b'\r', b'\0', text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = text.replace("\r\n", "\n").replace('\r', "\n");
    out = if replace_nul {
        out.replace('\0', "\u{FFFD}")
    } else {
        out.replace('\0', "")
    };
    Cow::Owned(out)
}

/// The offset of the first `&`, CR or NUL of `b` at or after `from`, or `b.len()`.
fn next_special(b: &[u8], from: usize) -> usize {
    memchr3(b'&', b'\r', b'\0', &b[from..]).map_or(b.len(), |i| from + i)
}

/// Decodes character references (and cleans newlines and NULs) in text or an attribute
/// value.
pub fn decode_text(text: &str, attribute: bool) -> Cow<'_, str> {
    let b = text.as_bytes();
    if memchr3(b'&', b'\r', b'\0', b).is_none() {
        return Cow::Borrowed(text);
    }
    let cleaned = clean_text(text, attribute);
    if memchr(b'&', cleaned.as_bytes()).is_none() {
        return cleaned;
    }
    let text = &*cleaned;
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(rel) = memchr(b'&', &b[i..]) {
        let amp = i + rel;
        out.push_str(&text[i..amp]);
        let (decoded, next) = char_ref(text, amp, attribute);
        match decoded {
            Some((c1, c2)) => {
                out.push(c1);
                if let Some(c2) = c2 {
                    out.push(c2);
                }
            }
            None => out.push('&'),
        }
        i = next;
    }
    out.push_str(&text[i..]);
    Cow::Owned(out)
}

/// The character reference at `amp` (an `&`): the characters and the offset after it, or
/// `None` (and the offset just past the `&`) when it is not one.
fn char_ref(text: &str, amp: usize, attribute: bool) -> (Option<(char, Option<char>)>, usize) {
    let b = text.as_bytes();
    let not_a_ref = (None, amp + 1);
    match b.get(amp + 1) {
        Some(b'#') => {
            let (hex, digits_start) = match b.get(amp + 2) {
                Some(b'x' | b'X') => (true, amp + 3),
                _ => (false, amp + 2),
            };
            let mut j = digits_start;
            let mut value: u32 = 0;
            while j < b.len()
                && (if hex {
                    b[j].is_ascii_hexdigit()
                } else {
                    b[j].is_ascii_digit()
                })
            {
                let d = (b[j] as char).to_digit(16).unwrap_or(0);
                value = value
                    .saturating_mul(if hex { 16 } else { 10 })
                    .saturating_add(d);
                j += 1;
            }
            if j == digits_start {
                return not_a_ref;
            }
            if b.get(j) == Some(&b';') {
                j += 1;
            }
            let c = match value {
                0 => '\u{FFFD}',
                0x80..=0x9F => html5ever::data::C1_REPLACEMENTS[(value - 0x80) as usize]
                    .unwrap_or_else(|| char::from_u32(value).unwrap_or('\u{FFFD}')),
                v => char::from_u32(v).unwrap_or('\u{FFFD}'),
            };
            (Some((c, None)), j)
        }
        Some(c) if c.is_ascii_alphanumeric() => {
            // Longest match in the named reference table, which also holds every prefix.
            let mut j = amp + 1;
            let mut best: Option<(usize, (u32, u32))> = None;
            while j < b.len() && j - amp <= 40 {
                let c = b[j];
                if !(c.is_ascii_alphanumeric() || c == b';') {
                    break;
                }
                j += 1;
                match html5ever::data::NAMED_ENTITIES.get(&text[amp + 1..j]) {
                    Some(&(0, _)) => {}
                    Some(&m) => best = Some((j, m)),
                    None => break,
                }
                if c == b';' {
                    break;
                }
            }
            let Some((end, (c1, c2))) = best else {
                return not_a_ref;
            };
            if attribute
                && b[end - 1] != b';'
                && let Some(&next) = b.get(end)
                && (next == b'=' || next.is_ascii_alphanumeric())
            {
                return not_a_ref;
            }
            let c1 = char::from_u32(c1).unwrap_or('\u{FFFD}');
            let c2 = if c2 == 0 { None } else { char::from_u32(c2) };
            (Some((c1, c2)), end)
        }
        _ => not_a_ref,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(html: &str) -> Vec<String> {
        let mut t = HtmlTokenizer::new(html);
        let mut out = Vec::new();
        while let Some(e) = t.next_token(|| false) {
            out.push(match e.token {
                Token::TagToken(tag) => {
                    let attrs: Vec<String> = tag
                        .attrs
                        .iter()
                        .map(|a| format!("{}={}", a.name.local, a.value))
                        .collect();
                    let slash = if tag.kind == TokTagKind::EndTag {
                        "/"
                    } else {
                        ""
                    };
                    let raw = matches!(&*tag.name, "script" | "style" | "title" | "iframe")
                        && tag.kind == TokTagKind::StartTag;
                    if raw {
                        t.switch_to(if &*tag.name == "title" {
                            RawKind::Rcdata
                        } else {
                            RawKind::Rawtext
                        });
                    }
                    format!(
                        "<{slash}{}{}{}>",
                        tag.name,
                        if attrs.is_empty() { "" } else { " " },
                        attrs.join(" ")
                    )
                }
                Token::CharacterTokens(s) => format!("{:?}", &*s),
                Token::CommentToken(s) => format!("<!--{s}-->"),
                Token::EOFToken => "EOF".into(),
                other => format!("{other:?}"),
            });
        }
        out
    }

    #[test]
    fn tags_attributes_and_references() {
        assert_eq!(
            tokens(
                "<P Class=\"a&amp;b\" data-x=1 checked title='&notit;'>x &lt; y&nbsp;&#x41;&#128;</p>"
            ),
            vec![
                "<p class=a&b data-x=1 checked= title=&notit;>",
                "\"x < y\\u{a0}A€\"",
                "</p>",
                "EOF"
            ]
        );
    }

    #[test]
    fn references_are_decoded_wherever_they_fall_between_plain_runs() {
        // Plain text and values before, between and after the ones to decode: each is
        // decoded or borrowed on its own.
        assert_eq!(
            tokens(
                "<p a=\"plain\">one</p><p b=\"x&amp;y\" c=plain>two &amp; three</p>\
                 <p d='none'>four</p>five\r\nsix<i e=&lt;>&#65;</i>seven"
            ),
            vec![
                "<p a=plain>",
                "\"one\"",
                "</p>",
                "<p b=x&y c=plain>",
                "\"two & three\"",
                "</p>",
                "<p d=none>",
                "\"four\"",
                "</p>",
                "\"five\\nsix\"",
                "<i e=<>",
                "\"A\"",
                "</i>",
                "\"seven\"",
                "EOF"
            ]
        );
    }

    #[test]
    fn legacy_references_in_text_decode_by_longest_prefix() {
        assert_eq!(tokens("&notit; &amp")[0], "\"¬it; &\"");
    }

    #[test]
    fn attribute_references_without_semicolon_before_equals_stay() {
        assert_eq!(
            tokens("<a href='?a=1&copy=2&lt'>")[0],
            "<a href=?a=1&copy=2<>"
        );
    }

    #[test]
    fn raw_text_comments_and_stray_lt() {
        assert_eq!(
            tokens(
                "<!-- <p> --><script>if (a<b) '<p>'</script><title>a&amp;b</title>3 < 4<!doctype html><?pi?>"
            ),
            vec![
                "<!-- <p> -->",
                "<script>",
                "\"if (a<b) '<p>'\"",
                "</script>",
                "<title>",
                "\"a&b\"",
                "</title>",
                "\"3 < 4\"",
                "EOF"
            ]
        );
    }

    #[test]
    fn figure_written_inside_p_is_in_source_p() {
        let mut t =
            HtmlTokenizer::new("<p>a<a href='x>y'><figure><img src=x></figure></a></p><figure>");
        while t.next_token(|| false).is_some() {}
        let figs: Vec<_> = t
            .scan()
            .tags
            .iter()
            .filter(|t| &*t.name == "figure" && t.kind == TagKind::Start)
            .collect();
        assert!(figs[0].in_source_p);
        assert!(!figs[1].in_source_p);
    }

    #[test]
    fn deep_nesting_is_flagged_and_dropped() {
        let html = "<div>".repeat(MAX_SOURCE_DEPTH + 3);
        let mut t = HtmlTokenizer::new(&html);
        let mut emitted = 0;
        while let Some(e) = t.next_token(|| false) {
            emitted += usize::from(e.tag.is_some());
        }
        assert_eq!(emitted, MAX_SOURCE_DEPTH);
        assert_eq!(t.scan().first_too_deep, Some(MAX_SOURCE_DEPTH * 5));
    }

    #[test]
    fn eof_inside_a_tag_drops_it() {
        assert_eq!(tokens("<p>a<img src=\"x"), vec!["<p>", "\"a\"", "EOF"]);
    }
}
