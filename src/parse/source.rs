//! Input bytes to positioned UTF-8 text.
//!
//! [`DecodedReader`] turns a byte stream in any supported encoding into UTF-8 for the XML
//! reader, and counts lines and columns of what the reader consumes, so every event has a
//! position in the file the user has. [`SourceMap`] maps byte offsets of an article's HTML
//! (as extracted from a feed, or read from a file) back to those file positions.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

use encoding_rs::{DecoderResult, Encoding, UTF_8};

use crate::model::Position;

/// Counts lines and columns over UTF-8 text: lines end at LF, CR LF or CR; columns count
/// Unicode scalar values.
#[derive(Clone, Copy, Debug)]
pub struct PositionCounter {
    /// Where the next character is.
    pub pos: Position,
    after_cr: bool,
}

impl PositionCounter {
    /// A counter at `start`.
    pub fn new(start: Position) -> Self {
        PositionCounter {
            pos: start,
            after_cr: false,
        }
    }

    /// Advances over `bytes` (UTF-8; may split a character between calls).
    pub fn advance(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        // Fast path: no CR, so lines end at LF only.
        if memchr::memchr(b'\r', bytes).is_none() {
            let mut rest = bytes;
            if self.after_cr && rest[0] == b'\n' {
                rest = &rest[1..];
            }
            self.after_cr = false;
            let newlines = memchr::memchr_iter(b'\n', rest).count();
            let tail = match memchr::memrchr(b'\n', rest) {
                Some(last) => {
                    self.pos.line += newlines as u32;
                    self.pos.column = 1;
                    &rest[last + 1..]
                }
                None => rest,
            };
            self.pos.column += count_chars(tail) as u32;
            return;
        }
        for &b in bytes {
            match b {
                b'\n' => {
                    if !self.after_cr {
                        self.pos.line += 1;
                        self.pos.column = 1;
                    }
                    self.after_cr = false;
                }
                b'\r' => {
                    self.pos.line += 1;
                    self.pos.column = 1;
                    self.after_cr = true;
                }
                // UTF-8 continuation bytes do not start a character.
                0x80..=0xBF => {}
                _ => {
                    self.pos.column += 1;
                    self.after_cr = false;
                }
            }
        }
    }
}

/// Characters in UTF-8 bytes: every byte that is not a continuation byte starts one.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Why input bytes could not be decoded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DecodeError {
    /// The encoding is one iarss does not read (UTF-32, or an unknown label).
    #[error("unsupported encoding: {0}")]
    Unsupported(String),
    /// Bytes that are not valid in the document's encoding.
    #[error("bytes not valid {encoding} at line {}, column {}", .position.line, .position.column)]
    Malformed {
        /// The encoding in force.
        encoding: &'static str,
        /// Where the first invalid byte is.
        position: Position,
    },
    /// A character XML forbids anywhere in a document: NUL or another C0 control but tab,
    /// LF and CR (rules.md decision 28).
    #[error("the control character {} at line {}, column {}", crate::model::control_name(*.character), .position.line, .position.column)]
    Forbidden {
        /// The character.
        character: char,
        /// Where it is.
        position: Position,
    },
}

/// How the encoding of an XML document was determined.
#[derive(Clone, Copy, Debug)]
pub struct SniffedEncoding {
    /// The encoding.
    pub encoding: &'static Encoding,
    /// Length of the byte order mark to skip.
    pub bom_len: usize,
}

/// Decides an XML document's encoding from its first bytes: a BOM first, then the byte
/// pattern of `<?xml` (UTF-16 without BOM), then the declaration's `encoding`, then the
/// HTTP `charset`, else UTF-8 (docs/ingestion.md, Fetching: Decoding).
pub fn sniff_xml_encoding(
    head: &[u8],
    http_charset: Option<&str>,
) -> Result<SniffedEncoding, DecodeError> {
    let found = |encoding, bom_len| Ok(SniffedEncoding { encoding, bom_len });
    if head.starts_with(&[0x00, 0x00, 0xFE, 0xFF])
        || head.starts_with(&[0xFF, 0xFE, 0x00, 0x00])
        || head.starts_with(&[0x00, 0x00, 0x00, 0x3C])
        || head.starts_with(&[0x3C, 0x00, 0x00, 0x00])
    {
        return Err(DecodeError::Unsupported("UTF-32".into()));
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return found(UTF_8, 3);
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return found(encoding_rs::UTF_16BE, 2);
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return found(encoding_rs::UTF_16LE, 2);
    }
    if head.starts_with(&[0x00, 0x3C, 0x00]) {
        return found(encoding_rs::UTF_16BE, 0);
    }
    if head.starts_with(&[0x3C, 0x00, 0x3F, 0x00]) || head.starts_with(&[0x3C, 0x00, 0x72, 0x00]) {
        return found(encoding_rs::UTF_16LE, 0);
    }
    if let Some(label) = declared_encoding(head) {
        let encoding = Encoding::for_label(label.as_bytes())
            .ok_or_else(|| DecodeError::Unsupported(format!("`{label}` (XML declaration)")))?;
        // A UTF-16 label over ASCII-compatible bytes is what the bytes say it isn't.
        if encoding == encoding_rs::UTF_16BE || encoding == encoding_rs::UTF_16LE {
            return Err(DecodeError::Unsupported(format!(
                "`{label}` declared, but the bytes are not UTF-16"
            )));
        }
        return found(encoding, 0);
    }
    if let Some(label) = http_charset
        && let Some(encoding) = Encoding::for_label(label.trim().as_bytes())
        && encoding != encoding_rs::UTF_16BE
        && encoding != encoding_rs::UTF_16LE
    {
        return found(encoding, 0);
    }
    found(UTF_8, 0)
}

/// The `encoding` pseudo-attribute of an XML declaration at the very start of `head`.
fn declared_encoding(head: &[u8]) -> Option<String> {
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let value = &rest[1..];
    let close = value.find(quote)?;
    Some(value[..close].trim().to_string())
}

/// What a text source tells the XML reader's user about positions: where the current event
/// starts, where an offset inside it is, and why decoding stopped.
pub trait PositionedSource: BufRead {
    /// Starts a new event at the current consumed position.
    fn mark(&mut self);
    /// Position of the last mark (the start of the current event).
    fn mark_position(&self) -> Position;
    /// Position of decoded byte offset `offset` (in the consumer's count of bytes consumed),
    /// if it lies at or after the last mark and was consumed.
    fn position_of(&self, offset: u64) -> Position;
    /// Position of everything consumed so far.
    fn consumed_position(&self) -> Position;
    /// The decoding error that stopped the stream, if any.
    fn decode_error(&self) -> Option<&DecodeError>;
}

/// A `BufRead` of UTF-8 decoded from any supported encoding, which tracks the position
/// of what its consumer has consumed.
///
/// The consumer (the XML reader) calls [`PositionedSource::mark`] before each event; the
/// bytes consumed since then are kept so any offset inside the event can be positioned.
///
/// Text is handed to the consumer one refill at a time (the input's next read, decoded),
/// and a decoding failure shows once the consumer reaches the refill that found it.
/// [`DecodedReader::read_ahead`] decodes further refills without handing them out, so that
/// [`DecodedReader::lookahead`] can show what follows and [`DecodedReader::skip`] can take
/// it past the consumer; the consumer then sees exactly what it would have seen had it read
/// the skipped text itself.
pub struct DecodedReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    raw: Vec<u8>,
    raw_eof: bool,
    /// The decoder was flushed at the end of the input; it must not be used again.
    flushed: bool,
    /// Decoded text: `text[0]` is byte `base` of the whole decoded output.
    text: TextBuf,
    base: u64,
    /// The consumer's offset in the decoded output (consumed or skipped).
    at: u64,
    /// End of the text handed to the consumer so far.
    handed: u64,
    /// Refills read ahead and not yet handed out, oldest first.
    ahead: VecDeque<Refill>,
    /// The last refill read ended the input (or failed): none follows it.
    ended: bool,
    /// Position of everything consumed so far.
    consumed: PositionCounter,
    /// Bytes the consumer consumed through `BufRead::consume` (skipped text not counted):
    /// the offsets the XML reader reports.
    consumed_bytes: u64,
    mark: Mark,
    failed: Option<DecodeError>,
    /// Raw bytes (including the head) that the refills handed out so far were read from.
    handed_raw_bytes: u64,
    /// Total raw bytes read from `inner`, including the head.
    pub raw_bytes: u64,
}

/// Where the current event started.
#[derive(Clone, Copy)]
struct Mark {
    /// Offset in the decoded output.
    at: u64,
    /// The consumer's count of bytes consumed at the mark.
    consumed: u64,
    position: Position,
}

/// One refill's worth of decoded text, read ahead of the consumer.
struct Refill {
    /// End of its text in the decoded output.
    end: u64,
    /// Raw bytes read by then.
    raw_bytes: u64,
    outcome: Outcome,
}

enum Outcome {
    /// Text follows.
    Text,
    /// Text that ends where bytes that do not decode begin.
    TextThenMalformed,
    /// Bytes that do not decode, with no text before them.
    Malformed,
    /// Text that ends where a character XML forbids begins.
    TextThenForbidden(char),
    /// A character XML forbids, with no text before it.
    Forbidden(char),
    /// The end of the input.
    End,
    /// Reading the input failed.
    Io(io::Error),
}

const CHUNK: usize = 64 * 1024;

/// `inner.read(buf)`, again when interrupted.
fn read_retrying(inner: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match inner.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

impl<R: Read> DecodedReader<R> {
    /// Wraps `inner`, whose first bytes `head` were already read, decoding as `sniffed`.
    pub fn new(head: Vec<u8>, inner: R, sniffed: SniffedEncoding) -> Self {
        let raw_bytes = head.len() as u64;
        let raw = head[sniffed.bom_len.min(head.len())..].to_vec();
        DecodedReader {
            inner,
            decoder: sniffed.encoding.new_decoder_without_bom_handling(),
            encoding: sniffed.encoding,
            raw,
            raw_eof: false,
            flushed: false,
            text: TextBuf::default(),
            base: 0,
            at: 0,
            handed: 0,
            ahead: VecDeque::new(),
            ended: false,
            consumed: PositionCounter::new(Position::START),
            consumed_bytes: 0,
            mark: Mark {
                at: 0,
                consumed: 0,
                position: Position::START,
            },
            failed: None,
            handed_raw_bytes: 0,
            raw_bytes,
        }
    }

    /// The encoding being decoded.
    pub fn encoding(&self) -> &'static Encoding {
        self.encoding
    }

    /// Raw bytes (including the head) read for the text handed to the consumer so far: what
    /// a reader of the input would have read by now had it not read ahead.
    pub fn handed_raw_bytes(&self) -> u64 {
        self.handed_raw_bytes
    }

    /// For the next `n` bytes of [`DecodedReader::lookahead`]: where each refill they lie in
    /// ends (counted from the consumer's offset) and the raw bytes read by then, in order.
    pub fn refills_ahead(&self, n: usize) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        if self.handed > self.at {
            out.push((self.handed - self.at, self.handed_raw_bytes));
        }
        for refill in &self.ahead {
            if out.last().is_some_and(|&(end, _)| end >= n as u64) {
                break;
            }
            out.push((refill.end - self.at, refill.raw_bytes));
        }
        out
    }

    /// The decoded text from the consumer's offset to the end of what was read ahead (text
    /// before a decoding failure is left out).
    pub fn lookahead(&self) -> &[u8] {
        let end = if self.failed.is_some() {
            // Text handed out before a failure is not lookahead either.
            self.at
        } else {
            // Refills read ahead are text, then perhaps one that ended the input.
            self.ahead
                .iter()
                .rev()
                .find(|r| matches!(r.outcome, Outcome::Text))
                .map_or(self.handed, |r| r.end)
        };
        &self.text[(self.at - self.base) as usize..(end - self.base) as usize]
    }

    /// Reads one more refill ahead of the consumer; `false` when the input ended, failed,
    /// or did not decode before or in it (and [`DecodedReader::lookahead`] cannot grow).
    pub fn read_ahead(&mut self) -> bool {
        if self.ended || self.failed.is_some() {
            return false;
        }
        let refill = self.refill();
        let text = matches!(refill.outcome, Outcome::Text);
        self.ahead.push_back(refill);
        text
    }

    /// Takes the first `n` bytes of [`DecodedReader::lookahead`] past the consumer, counting
    /// their position, as if it had consumed them (its byte count does not include them).
    pub fn skip(&mut self, n: usize) {
        let start = (self.at - self.base) as usize;
        self.consumed.advance(&self.text[start..start + n]);
        self.at += n as u64;
        // No event started before the skipped text is positioned any more.
        self.mark();
        while self.handed < self.at {
            let Some(refill) = self.ahead.pop_front() else {
                break;
            };
            debug_assert!(matches!(refill.outcome, Outcome::Text));
            self.handed = refill.end;
            self.handed_raw_bytes = refill.raw_bytes;
        }
    }

    /// The next refill: decoded text appended to `text`, and how it ended.
    fn refill(&mut self) -> Refill {
        self.compact();
        let start = self.text.len();
        let outcome = if self.encoding == UTF_8 {
            self.refill_utf8()
        } else {
            self.refill_decoded()
        };
        let mut outcome = outcome.unwrap_or_else(Outcome::Io);
        // A character XML forbids ends the text where it stands, as bytes that do not
        // decode do. The controls are ASCII: the decoded text is scanned as bytes.
        if matches!(outcome, Outcome::Text | Outcome::TextThenMalformed)
            && let Some(at) = crate::model::first_forbidden_byte(&self.text[start..])
        {
            let character = char::from(self.text[start + at]);
            self.text.truncate(start + at);
            outcome = if at > 0 {
                Outcome::TextThenForbidden(character)
            } else {
                Outcome::Forbidden(character)
            };
        }
        if !matches!(outcome, Outcome::Text) {
            self.ended = true;
        }
        Refill {
            end: self.base + self.text.len() as u64,
            raw_bytes: self.raw_bytes,
            outcome,
        }
    }

    /// Drops text that is consumed and before the mark, once it is most of the buffer.
    fn compact(&mut self) {
        let keep_from = self.at.min(self.mark.at);
        let drop = (keep_from - self.base) as usize;
        if drop >= CHUNK && drop * 2 >= self.text.len() {
            self.text.drop_front(drop);
            self.base = keep_from;
        }
    }

    /// UTF-8 input needs no transcoding: read straight into the text buffer and validate
    /// it, carrying a sequence split across reads over to the next one.
    fn refill_utf8(&mut self) -> io::Result<Outcome> {
        let start = self.text.len();
        loop {
            self.text.truncate(start);
            // `raw` holds the bytes not yet decoded: the head, or a split sequence.
            self.text.extend_from_slice(&self.raw);
            self.raw.clear();
            let read_at = self.text.len();
            let mut n = 0;
            if !self.raw_eof {
                n = match read_retrying(&mut self.inner, self.text.spare(CHUNK)) {
                    Ok(n) => n,
                    Err(e) => {
                        self.text.truncate(start);
                        return Err(e);
                    }
                };
                self.text.truncate(read_at + n);
                self.raw_bytes += n as u64;
                self.raw_eof = n == 0;
            }
            if self.text.len() == start {
                return Ok(Outcome::End);
            }
            // Most feeds are valid UTF-8: the SIMD check says so quickly, and std's says
            // where the first invalid byte is when it is not.
            if simdutf8::basic::from_utf8(&self.text[start..]).is_ok() {
                return Ok(Outcome::Text);
            }
            match std::str::from_utf8(&self.text[start..]) {
                Ok(_) => return Ok(Outcome::Text),
                Err(e) => {
                    let valid = start + e.valid_up_to();
                    let incomplete_tail = e.error_len().is_none() && !self.raw_eof;
                    if incomplete_tail {
                        self.raw.extend_from_slice(&self.text[valid..]);
                        self.text.truncate(valid);
                        if valid > start || n == 0 {
                            return Ok(Outcome::Text);
                        }
                        continue;
                    }
                    self.text.truncate(valid);
                    return Ok(if valid > start {
                        Outcome::TextThenMalformed
                    } else {
                        Outcome::Malformed
                    });
                }
            }
        }
    }

    /// Any other encoding: decode what was read until some text comes out.
    fn refill_decoded(&mut self) -> io::Result<Outcome> {
        let start = self.text.len();
        loop {
            if self.raw.is_empty() && !self.raw_eof {
                self.raw.resize(CHUNK, 0);
                let n = match read_retrying(&mut self.inner, &mut self.raw) {
                    Ok(n) => n,
                    Err(e) => {
                        self.raw.clear();
                        return Err(e);
                    }
                };
                self.raw.truncate(n);
                self.raw_bytes += n as u64;
                self.raw_eof = n == 0;
            }
            if self.raw.is_empty() && self.raw_eof {
                if self.flushed {
                    return Ok(Outcome::End);
                }
                self.flushed = true;
                // Flush the decoder: a truncated sequence at the end is an error.
                let mut tmp = [0u8; 16];
                let (res, _, written) =
                    self.decoder
                        .decode_to_utf8_without_replacement(&[], &mut tmp, true);
                if let DecoderResult::Malformed(..) = res {
                    return Ok(Outcome::Malformed);
                }
                self.text.extend_from_slice(&tmp[..written]);
                return Ok(if written > 0 {
                    Outcome::Text
                } else {
                    Outcome::End
                });
            }
            let need = self
                .decoder
                .max_utf8_buffer_length_without_replacement(self.raw.len())
                .unwrap_or(self.raw.len() * 3 + 16);
            let out_at = self.text.len();
            let (res, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.raw,
                self.text.spare(need),
                false,
            );
            self.text.truncate(out_at + written);
            self.raw.drain(..read);
            match res {
                DecoderResult::InputEmpty | DecoderResult::OutputFull => {
                    if self.text.len() > start {
                        return Ok(Outcome::Text);
                    }
                }
                DecoderResult::Malformed(..) => {
                    return Ok(if self.text.len() > start {
                        Outcome::TextThenMalformed
                    } else {
                        Outcome::Malformed
                    });
                }
            }
        }
    }

    /// Hands the consumer the next refill (read ahead or read now).
    fn hand_out(&mut self) -> io::Result<()> {
        if self.failed.is_some() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "invalid bytes"));
        }
        let refill = match self.ahead.pop_front() {
            Some(refill) => refill,
            None if self.ended => return Ok(()),
            None => self.refill(),
        };
        self.handed_raw_bytes = refill.raw_bytes;
        match refill.outcome {
            Outcome::Text => {
                self.handed = refill.end;
                Ok(())
            }
            Outcome::TextThenMalformed => {
                // Hand out what is valid first; fail on the next call.
                self.handed = refill.end;
                self.failed = Some(DecodeError::Malformed {
                    encoding: self.encoding.name(),
                    position: self.produced_position(),
                });
                Ok(())
            }
            Outcome::Malformed => {
                let err = DecodeError::Malformed {
                    encoding: self.encoding.name(),
                    position: self.produced_position(),
                };
                self.failed = Some(err.clone());
                Err(io::Error::new(io::ErrorKind::InvalidData, err))
            }
            Outcome::TextThenForbidden(character) => {
                self.handed = refill.end;
                self.failed = Some(DecodeError::Forbidden {
                    character,
                    position: self.produced_position(),
                });
                Ok(())
            }
            Outcome::Forbidden(character) => {
                let err = DecodeError::Forbidden {
                    character,
                    position: self.produced_position(),
                };
                self.failed = Some(err.clone());
                Err(io::Error::new(io::ErrorKind::InvalidData, err))
            }
            Outcome::End => Ok(()),
            Outcome::Io(e) => Err(e),
        }
    }

    /// Position just past everything handed out: what was consumed plus what waits.
    fn produced_position(&self) -> Position {
        let mut counter = self.consumed;
        counter.advance(
            &self.text[(self.at - self.base) as usize..(self.handed - self.base) as usize],
        );
        counter.pos
    }
}

impl<R: Read> PositionedSource for DecodedReader<R> {
    fn mark(&mut self) {
        self.mark = Mark {
            at: self.at,
            consumed: self.consumed_bytes,
            position: self.consumed.pos,
        };
    }

    fn mark_position(&self) -> Position {
        self.mark.position
    }

    fn position_of(&self, offset: u64) -> Position {
        let since_mark = self.consumed_bytes - self.mark.consumed;
        let upto = offset.saturating_sub(self.mark.consumed).min(since_mark) as usize;
        let start = (self.mark.at - self.base) as usize;
        let mut counter = PositionCounter::new(self.mark.position);
        counter.advance(&self.text[start..start + upto]);
        counter.pos
    }

    fn consumed_position(&self) -> Position {
        self.consumed.pos
    }

    fn decode_error(&self) -> Option<&DecodeError> {
        self.failed.as_ref()
    }
}

impl<R: Read> Read for DecodedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for DecodedReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at >= self.handed {
            let handed = self.handed;
            self.hand_out()?;
            if self.handed == handed && self.ended && self.ahead.is_empty() {
                // The end of the input.
                break;
            }
        }
        Ok(&self.text[(self.at - self.base) as usize..(self.handed - self.base) as usize])
    }

    fn consume(&mut self, amt: usize) {
        let end = (self.at + amt as u64).min(self.handed);
        let bytes = &self.text[(self.at - self.base) as usize..(end - self.base) as usize];
        self.consumed.advance(bytes);
        self.consumed_bytes += end - self.at;
        self.at = end;
    }
}

/// A byte buffer whose spare capacity stays initialized, so that reading into it does not
/// zero it first every time.
#[derive(Default)]
struct TextBuf {
    /// Initialized bytes; the first `len` are the text.
    bytes: Vec<u8>,
    len: usize,
}

impl TextBuf {
    /// `n` bytes past the text to write into (then [`TextBuf::truncate`] to what was written).
    fn spare(&mut self, n: usize) -> &mut [u8] {
        if self.bytes.len() < self.len + n {
            self.bytes.resize(self.len + n, 0);
        }
        let start = self.len;
        self.len += n;
        &mut self.bytes[start..start + n]
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        let start = self.len;
        self.spare(bytes.len()).copy_from_slice(bytes);
        debug_assert_eq!(self.len, start + bytes.len());
    }

    /// Drops the first `n` bytes of the text.
    fn drop_front(&mut self, n: usize) {
        self.bytes.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

impl std::ops::Deref for TextBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// An item's text, already in memory, as a [`PositionedSource`] starting at `start`.
pub struct TextSource<'a> {
    text: &'a [u8],
    at: usize,
    consumed: PositionCounter,
    mark: (usize, Position),
}

impl<'a> TextSource<'a> {
    /// A source over `text`, whose first byte is at `start` in the input.
    pub fn new(text: &'a str, start: Position) -> Self {
        TextSource {
            text: text.as_bytes(),
            at: 0,
            consumed: PositionCounter::new(start),
            mark: (0, start),
        }
    }
}

impl PositionedSource for TextSource<'_> {
    fn mark(&mut self) {
        self.mark = (self.at, self.consumed.pos);
    }

    fn mark_position(&self) -> Position {
        self.mark.1
    }

    fn position_of(&self, offset: u64) -> Position {
        let (start, position) = self.mark;
        let upto = (offset as usize).saturating_sub(start).min(self.at - start);
        let mut counter = PositionCounter::new(position);
        counter.advance(&self.text[start..start + upto]);
        counter.pos
    }

    fn consumed_position(&self) -> Position {
        self.consumed.pos
    }

    fn decode_error(&self) -> Option<&DecodeError> {
        None
    }
}

impl Read for TextSource<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for TextSource<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(&self.text[self.at..])
    }

    fn consume(&mut self, amt: usize) {
        let end = (self.at + amt).min(self.text.len());
        self.consumed.advance(&self.text[self.at..end]);
        self.at = end;
    }
}

/// Maps byte offsets in an article's HTML to positions in the file the user has.
///
/// The HTML is a concatenation of segments: verbatim runs (a whole article file, CDATA
/// sections, plain XML text), each starting at a known file position, and replacements
/// (an XML entity reference such as `&lt;`, positioned at its `&`).
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    /// `(html byte offset, file position, verbatim)` in increasing offset order.
    segments: Vec<(usize, Position, bool)>,
}

impl SourceMap {
    /// A map for HTML read verbatim from a file starting at `start`.
    pub fn verbatim(start: Position) -> Self {
        SourceMap {
            segments: vec![(0, start, true)],
        }
    }

    /// Appends a segment starting at HTML offset `offset`.
    pub fn push(&mut self, offset: usize, origin: Position, verbatim: bool) {
        self.segments.push((offset, origin, verbatim));
    }

    /// File positions of many HTML byte offsets at once, in one pass over the text.
    /// `offsets` must be sorted.
    pub fn positions_sorted(&self, html: &str, offsets: &[usize]) -> Vec<Position> {
        let mut out = Vec::with_capacity(offsets.len());
        let mut seg = 0;
        let mut walker: Option<(usize, PositionCounter)> = None;
        for &off in offsets {
            let off = off.min(html.len());
            while seg + 1 < self.segments.len() && self.segments[seg + 1].0 <= off {
                seg += 1;
                walker = None;
            }
            let Some(&(start, origin, verbatim)) = self.segments.get(seg) else {
                out.push(Position::START);
                continue;
            };
            if !verbatim || off < start {
                out.push(origin);
                continue;
            }
            let (cur, counter) = walker.get_or_insert((start, PositionCounter::new(origin)));
            if off > *cur {
                counter.advance(&html.as_bytes()[*cur..off]);
                *cur = off;
            }
            out.push(counter.pos);
        }
        out
    }

    /// The file position of HTML byte offset `offset` in `html`.
    pub fn position(&self, html: &str, offset: usize) -> Position {
        let idx = match self.segments.binary_search_by(|s| s.0.cmp(&offset)) {
            Ok(i) => {
                // Several segments may start at one offset (empty text runs): take the last.
                let mut i = i;
                while i + 1 < self.segments.len() && self.segments[i + 1].0 == offset {
                    i += 1;
                }
                i
            }
            Err(0) => return Position::START,
            Err(i) => i - 1,
        };
        let (start, origin, verbatim) = self.segments[idx];
        if !verbatim {
            return origin;
        }
        let end = offset.min(html.len());
        let mut counter = PositionCounter::new(origin);
        if start <= end {
            counter.advance(&html.as_bytes()[start..end]);
        }
        counter.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_characters() {
        let mut c = PositionCounter::new(Position::START);
        c.advance("ab\r\ncé\rx\n\ty".as_bytes());
        assert_eq!(c.pos, Position { line: 4, column: 3 });
    }

    #[test]
    fn bulk_positions_match_single_ones() {
        let html = "<a>\r\n<b>é\n<c>&lt;d";
        let mut map = SourceMap::verbatim(Position { line: 3, column: 5 });
        map.push(16, Position { line: 9, column: 2 }, false);
        map.push(17, Position { line: 9, column: 6 }, true);
        let offsets = [0, 3, 5, 12, 16, 17];
        let bulk = map.positions_sorted(html, &offsets);
        let single: Vec<_> = offsets.iter().map(|o| map.position(html, *o)).collect();
        assert_eq!(bulk, single);
        assert_eq!(bulk[2], Position { line: 4, column: 1 });
    }

    #[test]
    fn sniffs_encodings() {
        let s =
            sniff_xml_encoding(b"<?xml version='1.0' encoding='ISO-8859-1'?><rss/>", None).unwrap();
        assert_eq!(s.encoding.name(), "windows-1252");
        let s = sniff_xml_encoding(b"\xFF\xFE<\x00?\x00", None).unwrap();
        assert_eq!((s.encoding.name(), s.bom_len), ("UTF-16LE", 2));
        assert!(sniff_xml_encoding(b"<?xml version='1.0' encoding='bogus'?>", None).is_err());
        let s = sniff_xml_encoding(b"<rss/>", Some("koi8-r")).unwrap();
        assert_eq!(s.encoding.name(), "KOI8-R");
    }

    #[test]
    fn an_empty_non_utf8_input_ends_without_a_panic() {
        for (bytes, charset) in [(b"\xFF\xFE".to_vec(), None), (Vec::new(), Some("utf-16le"))] {
            let sniffed = sniff_xml_encoding(&bytes, charset).unwrap();
            let mut r = DecodedReader::new(bytes, io::empty(), sniffed);
            let mut s = String::new();
            assert_eq!(r.read_to_string(&mut s).unwrap(), 0);
            // Readers ask again after the end; the finished decoder must not be used.
            assert_eq!(r.read_to_string(&mut s).unwrap(), 0);
            assert!(r.fill_buf().unwrap().is_empty());
        }
    }

    #[test]
    fn decodes_and_reports_malformed_bytes() {
        let bytes = b"<a>\nok \xFF</a>".to_vec();
        let sniffed = sniff_xml_encoding(&bytes, None).unwrap();
        let mut r = DecodedReader::new(bytes, io::empty(), sniffed);
        let mut s = String::new();
        let err = r.read_to_string(&mut s).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        match r.decode_error() {
            Some(DecodeError::Malformed { position, .. }) => {
                assert_eq!(*position, Position { line: 2, column: 4 });
            }
            other => panic!("{other:?}"),
        }
    }
}
