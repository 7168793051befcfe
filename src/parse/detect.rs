//! Deciding whether an input is a feed or an article (docs/decisions.md, decision 23), and decoding
//! an article file's bytes.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// What an input is, by its first element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// The first element is `rss` or another XML root: read as a feed.
    Feed,
    /// The first element is `html`, `article`, `head` or `body` (or there is none but
    /// HTML-ish text): read as an article.
    Article,
}

/// Decides feed versus article from the first bytes of the input: the first element after
/// a BOM, an XML declaration, comments, processing instructions and a doctype.
pub fn detect_kind(head: &[u8]) -> InputKind {
    let text = decode_prefix(head);
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<!--") {
            match after.find("-->") {
                Some(end) => rest = &after[end + 3..],
                None => return InputKind::Feed,
            }
        } else if rest.starts_with("<?") || rest.starts_with("<!") {
            match markup_declaration_end(rest) {
                Some(end) => rest = &rest[end..],
                None => return InputKind::Feed,
            }
        } else {
            break;
        }
    }
    let Some(after) = rest.strip_prefix('<') else {
        // Text before any element: not XML; an HTML parser makes an article of it.
        return if rest.is_empty() {
            InputKind::Feed
        } else {
            InputKind::Article
        };
    };
    let name: String = after
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .collect::<String>()
        .to_ascii_lowercase();
    match name.as_str() {
        "html" | "article" | "head" | "body" => InputKind::Article,
        _ => InputKind::Feed,
    }
}

/// Where a `<?…?>` or `<!…>` at the start of `text` ends (just past its `>`). A doctype's
/// internal subset (`<!DOCTYPE rss [ <!ENTITY …> ]>`) holds `>` of its own: it is skipped
/// whole, up to the `]` that is followed (after white space) by `>`.
fn markup_declaration_end(text: &str) -> Option<usize> {
    let gt = text.find('>')?;
    let is_doctype = text
        .get(2..9)
        .is_some_and(|w| w.eq_ignore_ascii_case("doctype"));
    match text.find('[') {
        Some(open) if is_doctype && open < gt => {
            let mut from = open + 1;
            loop {
                let close = from + text[from..].find(']')?;
                let after = &text[close + 1..];
                let trimmed = after.trim_start();
                if trimmed.starts_with('>') {
                    return Some(close + 1 + (after.len() - trimmed.len()) + 1);
                }
                from = close + 1;
            }
        }
        _ => Some(gt + 1),
    }
}

/// A lossy decode of the first bytes, enough to find the first element.
fn decode_prefix(head: &[u8]) -> String {
    let encoding = if head.starts_with(&[0xFE, 0xFF]) || head.starts_with(&[0x00, 0x3C, 0x00]) {
        encoding_rs::UTF_16BE
    } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0x3C, 0x00]) {
        encoding_rs::UTF_16LE
    } else {
        UTF_8
    };
    let end = head.len().min(64 * 1024);
    encoding
        .decode_without_bom_handling(&head[..end])
        .0
        .into_owned()
}

/// Decodes an article file as a browser would: a BOM, else a `<meta charset>` in the
/// first 1024 bytes, else UTF-8 when the bytes are valid UTF-8, else windows-1252.
/// Returns the text (without BOM) and the encoding used.
pub fn decode_html(bytes: &[u8]) -> (String, &'static Encoding) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), encoding);
    }
    if let Some(encoding) = meta_charset(&bytes[..bytes.len().min(1024)]) {
        // A meta that claims UTF-16 on ASCII-compatible bytes means UTF-8 (HTML spec).
        let encoding = if encoding == encoding_rs::UTF_16BE || encoding == encoding_rs::UTF_16LE {
            UTF_8
        } else {
            encoding
        };
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return (text.into_owned(), encoding);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), UTF_8),
        Err(_) => (
            WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            WINDOWS_1252,
        ),
    }
}

/// The encoding named by a `<meta charset=…>` or `<meta http-equiv content="…charset=…">`.
fn meta_charset(prefix: &[u8]) -> Option<&'static Encoding> {
    let text = String::from_utf8_lossy(prefix).to_ascii_lowercase();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("<meta") {
        rest = &rest[at + 5..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        if let Some(cs) = tag.find("charset") {
            let value = tag[cs + 7..].trim_start().strip_prefix('=')?.trim_start();
            let value = value.trim_start_matches(['"', '\'']);
            let label: String = value
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | ';' | '/' | '>'))
                .collect();
            if let Some(enc) = Encoding::for_label(label.as_bytes()) {
                return Some(enc);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_element_decides() {
        assert_eq!(
            detect_kind(b"<?xml version='1.0'?>\n<!-- c --><html>"),
            InputKind::Article
        );
        assert_eq!(
            detect_kind(b"<?xml version='1.0'?><rss version='2.0'>"),
            InputKind::Feed
        );
        assert_eq!(detect_kind(b"<!doctype html><html>"), InputKind::Article);
        assert_eq!(detect_kind(b"\xEF\xBB\xBF<feed>"), InputKind::Feed);
        assert_eq!(detect_kind(b""), InputKind::Feed);
    }

    #[test]
    fn a_doctype_internal_subset_is_skipped_whole() {
        let feed = b"<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY nbsp \"&#160;\">\n\
                     <!ENTITY copy \"&#169;\">\n] >\n<rss version=\"2.0\"><channel/></rss>";
        assert_eq!(detect_kind(feed), InputKind::Feed);
        let article = b"<!doctype html [ <!ENTITY x \"y\"> ]><html><body></body></html>";
        assert_eq!(detect_kind(article), InputKind::Article);
        // An unterminated subset is not an article either.
        assert_eq!(
            detect_kind(b"<!DOCTYPE rss [ <!ENTITY a 'b'>"),
            InputKind::Feed
        );
    }

    #[test]
    fn meta_charset_is_honoured() {
        let bytes = b"<html><head><meta charset=\"euc-jp\"/></head><body>\xA4\xA2</body></html>";
        let (text, enc) = decode_html(bytes);
        assert_eq!(enc.name(), "EUC-JP");
        assert!(text.contains('\u{3042}'));
    }
}
