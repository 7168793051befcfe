//! Characters XML 1.0 forbids in a document (rules.md decision 28): NUL and the C0 controls
//! other than tab, line feed and carriage return. None of them reaches the store: a feed
//! holding one is not well-formed, an article read on its own is rejected, and a query
//! parameter or form field holding one is refused.

/// Whether `c` is a character XML 1.0 forbids (a C0 control other than tab, LF and CR).
pub fn is_forbidden_control(c: char) -> bool {
    c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')
}

/// The byte offset and value of the first forbidden control character of `text`.
pub fn first_forbidden_control(text: &str) -> Option<(usize, char)> {
    let at = first_forbidden_byte(text.as_bytes())?;
    Some((at, char::from(text.as_bytes()[at])))
}

/// The offset of the first byte of `bytes` that is a control character XML forbids (the
/// controls are ASCII, so this is their offset in UTF-8 text too).
///
/// Every byte of every feed and article passes through here. Whole blocks are tested
/// without an exit per byte, which the compiler turns into vector compares, with AVX2 where
/// the CPU has it (with the portable build's SSE2 compares this was 2.5 % of the lint's
/// instructions, with AVX2 0.8 %); the block that holds one is then searched byte by byte.
pub fn first_forbidden_byte(bytes: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as just checked.
        return unsafe { first_forbidden_byte_avx2(bytes) };
    }
    scan_for_forbidden(bytes)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn first_forbidden_byte_avx2(bytes: &[u8]) -> Option<usize> {
    scan_for_forbidden(bytes)
}

#[inline(always)]
fn scan_for_forbidden(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 64;
    let forbidden = |b: u8| (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r');
    // The first block that holds one, or the tail after the last whole block.
    let mut start = 0;
    for block in bytes.chunks_exact(BLOCK) {
        if block.iter().fold(false, |any, &b| any | forbidden(b)) {
            break;
        }
        start += BLOCK;
    }
    Some(start + bytes[start..].iter().position(|&b| forbidden(b))?)
}

/// `U+0000`-style name of a control character, for messages.
pub fn control_name(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Text escaped for HTML: in element content and in quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_c0_controls_but_tab_lf_cr_are_forbidden() {
        assert_eq!(first_forbidden_control("plain\ttext\r\n"), None);
        assert_eq!(first_forbidden_control("a\u{0}b"), Some((1, '\u{0}')));
        assert_eq!(first_forbidden_control("é\u{1b}[31m"), Some((2, '\u{1b}')));
        assert!(!is_forbidden_control('\u{7f}'));
        // Wherever it falls in a long text: in a block, at its edges, in the tail after the
        // last whole block; and none in a long text with tabs and line breaks.
        let long = "word\tand\r\nmore é ".repeat(40);
        assert_eq!(first_forbidden_control(&long), None);
        for at in [0, 1, 63, 64, 65, 127, 128, 500, long.len() - 1] {
            if !long.is_char_boundary(at) {
                continue;
            }
            let text = format!("{}\u{8}{}", &long[..at], &long[at..]);
            assert_eq!(
                first_forbidden_control(&text),
                Some((at, '\u{8}')),
                "at {at}"
            );
        }
        assert_eq!(first_forbidden_byte(b"\xff\xfe\x7f ok"), None);
        assert_eq!(first_forbidden_byte(b"ok\x1f"), Some(2));
        assert_eq!(control_name('\u{0}'), "U+0000");
    }
}
