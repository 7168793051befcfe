//! Input bytes to positioned UTF-8 text.
//!
//! [`DecodedReader`] turns a byte stream in any supported encoding into UTF-8 for the XML
//! reader, and counts lines and columns of what the reader consumes, so every event has a
//! position in the file the user has. [`SourceMap`] maps byte offsets of an article's HTML
//! (as extracted from a feed, or read from a file) back to those file positions.

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

/// A `BufRead` of UTF-8 decoded from any supported encoding, which tracks the position
/// of what its consumer has consumed.
///
/// The consumer (the XML reader) calls [`DecodedReader::mark`] before each event; the
/// bytes consumed since then are kept so any offset inside the event can be positioned.
pub struct DecodedReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    raw: Vec<u8>,
    raw_eof: bool,
    /// The decoder was flushed at the end of the input; it must not be used again.
    flushed: bool,
    out: Vec<u8>,
    out_start: usize,
    /// Position of everything consumed so far.
    consumed: PositionCounter,
    consumed_bytes: u64,
    mark: (u64, Position),
    since_mark: Vec<u8>,
    failed: Option<DecodeError>,
    /// Total raw bytes read from `inner`.
    pub raw_bytes: u64,
}

const CHUNK: usize = 64 * 1024;

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
            out: Vec::with_capacity(CHUNK * 3),
            out_start: 0,
            consumed: PositionCounter::new(Position::START),
            consumed_bytes: 0,
            mark: (0, Position::START),
            since_mark: Vec::new(),
            failed: None,
            raw_bytes,
        }
    }

    /// The encoding being decoded.
    pub fn encoding(&self) -> &'static Encoding {
        self.encoding
    }

    /// Starts a new event at the current consumed position.
    pub fn mark(&mut self) {
        self.mark = (self.consumed_bytes, self.consumed.pos);
        self.since_mark.clear();
    }

    /// Position of the last mark (the start of the current event).
    pub fn mark_position(&self) -> Position {
        self.mark.1
    }

    /// Position of decoded byte offset `offset` (counted over the whole UTF-8 output), if
    /// it lies at or after the last mark and was consumed.
    pub fn position_of(&self, offset: u64) -> Position {
        let (start, pos) = self.mark;
        let upto = offset
            .saturating_sub(start)
            .min(self.since_mark.len() as u64) as usize;
        let mut counter = PositionCounter::new(pos);
        counter.advance(&self.since_mark[..upto]);
        counter.pos
    }

    /// Position of everything consumed so far.
    pub fn consumed_position(&self) -> Position {
        self.consumed.pos
    }

    /// The decoding error that stopped the stream, if any.
    pub fn decode_error(&self) -> Option<&DecodeError> {
        self.failed.as_ref()
    }

    /// UTF-8 input needs no transcoding: read straight into the output buffer and
    /// validate it, carrying a sequence split across reads over to the next one.
    fn refill_utf8(&mut self) -> io::Result<()> {
        loop {
            if self.failed.is_some() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "invalid bytes"));
            }
            self.out.clear();
            self.out_start = 0;
            // `raw` holds the bytes not yet handed out: the head, or a split sequence.
            self.out.append(&mut self.raw);
            let start = self.out.len();
            let mut n = 0;
            if !self.raw_eof {
                self.out.resize(start + CHUNK, 0);
                n = self.inner.read(&mut self.out[start..])?;
                self.out.truncate(start + n);
                self.raw_bytes += n as u64;
                self.raw_eof = n == 0;
            }
            if self.out.is_empty() {
                return Ok(());
            }
            match std::str::from_utf8(&self.out) {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let valid = e.valid_up_to();
                    let incomplete_tail = e.error_len().is_none() && !self.raw_eof;
                    if incomplete_tail {
                        self.raw.extend_from_slice(&self.out[valid..]);
                        self.out.truncate(valid);
                        if valid > 0 || n == 0 {
                            return Ok(());
                        }
                        continue;
                    }
                    self.out.truncate(valid);
                    if valid > 0 {
                        // Hand out what is valid first; fail on the next call.
                        self.failed = Some(DecodeError::Malformed {
                            encoding: self.encoding.name(),
                            position: self.produced_position(),
                        });
                        return Ok(());
                    }
                    return Err(self.malformed());
                }
            }
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        if self.encoding == UTF_8 {
            return self.refill_utf8();
        }
        if self.out_start >= self.out.len() {
            self.out.clear();
            self.out_start = 0;
        }
        while self.out_start >= self.out.len() {
            if self.failed.is_some() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "invalid bytes"));
            }
            if self.raw.is_empty() && !self.raw_eof {
                self.raw.resize(CHUNK, 0);
                let n = self.inner.read(&mut self.raw)?;
                self.raw.truncate(n);
                self.raw_bytes += n as u64;
                self.raw_eof = n == 0;
            }
            if self.raw.is_empty() && self.raw_eof {
                if self.flushed {
                    return Ok(());
                }
                self.flushed = true;
                // Flush the decoder: a truncated sequence at the end is an error.
                let mut tmp = [0u8; 16];
                let (res, _, written) =
                    self.decoder
                        .decode_to_utf8_without_replacement(&[], &mut tmp, true);
                if let DecoderResult::Malformed(..) = res {
                    return Err(self.malformed());
                }
                self.out.extend_from_slice(&tmp[..written]);
                return Ok(());
            }
            let start = self.out.len();
            let need = self
                .decoder
                .max_utf8_buffer_length_without_replacement(self.raw.len())
                .unwrap_or(self.raw.len() * 3 + 16);
            self.out.resize(start + need, 0);
            let (res, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.raw,
                &mut self.out[start..],
                false,
            );
            self.out.truncate(start + written);
            self.raw.drain(..read);
            match res {
                DecoderResult::InputEmpty => {}
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(..) => {
                    if self.out_start < self.out.len() {
                        // Hand out what decoded cleanly first; fail on the next call.
                        self.failed = Some(DecodeError::Malformed {
                            encoding: self.encoding.name(),
                            position: self.produced_position(),
                        });
                        return Ok(());
                    }
                    return Err(self.malformed());
                }
            }
        }
        Ok(())
    }

    /// Position just past everything decoded: what was consumed plus what waits in `out`.
    fn produced_position(&self) -> Position {
        let mut counter = self.consumed;
        counter.advance(&self.out[self.out_start.min(self.out.len())..]);
        counter.pos
    }

    fn malformed(&mut self) -> io::Error {
        let err = DecodeError::Malformed {
            encoding: self.encoding.name(),
            position: self.produced_position(),
        };
        self.failed = Some(err.clone());
        io::Error::new(io::ErrorKind::InvalidData, err)
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
        if self.out_start >= self.out.len() {
            self.refill()?;
        }
        Ok(&self.out[self.out_start..])
    }

    fn consume(&mut self, amt: usize) {
        let end = (self.out_start + amt).min(self.out.len());
        let bytes = &self.out[self.out_start..end];
        self.consumed.advance(bytes);
        self.since_mark.extend_from_slice(bytes);
        self.consumed_bytes += bytes.len() as u64;
        self.out_start = end;
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
                assert_eq!(*position, Position { line: 2, column: 4 })
            }
            other => panic!("{other:?}"),
        }
    }
}
