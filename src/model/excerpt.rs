//! Source excerpts: the lines around a diagnostic's line:column with the spot marked, as
//! the web pages show them and as a feed run keeps them for the items it did not store.
//!
//! The spot is marked whole: from a `<` to the end of its tag, or the word that starts
//! there, so that a reader sees what the diagnostic points at rather than one character.

use serde::{Deserialize, Serialize};

/// One line of an excerpt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcerptLine {
    /// 1-based line number in the source.
    pub number: i64,
    /// The whole line (cut when long), or what comes before the spot on the marked line.
    pub before: String,
    /// What the diagnostic points at (the marked line only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marked: Option<String>,
    /// What follows the spot on the marked line.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub after: String,
}

/// Lines shown before and after the marked one.
const CONTEXT_LINES: usize = 2;
/// Characters of a long line shown on each side of the spot.
const SIDE: usize = 80;
/// The most characters a mark covers.
const MARK_MAX: usize = 60;

/// The lines of `source` around `line`:`column` (1-based; the column counts characters),
/// the spot marked; none when the line is not in the source.
pub fn excerpt(source: &str, line: i64, column: i64) -> Vec<ExcerptLine> {
    let Ok(line) = usize::try_from(line) else {
        return Vec::new();
    };
    if line == 0 {
        return Vec::new();
    }
    let first = line.saturating_sub(CONTEXT_LINES).max(1);
    let lines: Vec<(usize, &str)> = source
        .lines()
        .enumerate()
        .skip(first - 1)
        .take(line + CONTEXT_LINES + 1 - first)
        .map(|(i, text)| (i + 1, text))
        .collect();
    excerpt_of_lines(&lines, line, column)
}

/// [`excerpt`] over lines already cut out of a source: `(number, text)` in order.
pub fn excerpt_of_lines(lines: &[(usize, &str)], line: usize, column: i64) -> Vec<ExcerptLine> {
    if !lines.iter().any(|(n, _)| *n == line) {
        return Vec::new();
    }
    let column = usize::try_from(column).unwrap_or(1).max(1);
    lines
        .iter()
        .filter(|(n, _)| n.abs_diff(line) <= CONTEXT_LINES)
        .map(|&(number, text)| {
            let number_i64 = i64::try_from(number).unwrap_or(i64::MAX);
            let chars: Vec<char> = text.chars().collect();
            if number != line {
                let shown = chars.len().min(2 * SIDE);
                let mut before: String = chars[..shown].iter().collect();
                if shown < chars.len() {
                    before.push('…');
                }
                return ExcerptLine {
                    number: number_i64,
                    before,
                    marked: None,
                    after: String::new(),
                };
            }
            let at = (column - 1).min(chars.len());
            let end_of_mark = at + mark_len(&chars[at..]);
            let start = at.saturating_sub(SIDE);
            let end = (end_of_mark + SIDE).min(chars.len());
            let mut before: String = chars[start..at].iter().collect();
            if start > 0 {
                before.insert(0, '…');
            }
            let marked = if end_of_mark > at {
                chars[at..end_of_mark].iter().collect()
            } else {
                " ".to_string()
            };
            let mut after: String = chars[end_of_mark..end].iter().collect();
            if end < chars.len() {
                after.push('…');
            }
            ExcerptLine {
                number: number_i64,
                before,
                marked: Some(marked),
                after,
            }
        })
        .collect()
}

/// How many characters from the start of `rest` the mark covers: a tag to its `>`, else
/// the word (letters, digits and `-_:.&#;`), else one character.
fn mark_len(rest: &[char]) -> usize {
    match rest.first() {
        None => 0,
        Some('<') => rest
            .iter()
            .take(MARK_MAX)
            .position(|c| *c == '>')
            .map_or(1, |i| i + 1),
        Some(c) if is_word(*c) => rest
            .iter()
            .take(MARK_MAX)
            .take_while(|c| is_word(**c))
            .count(),
        Some(_) => 1,
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '.' | '&' | '#' | ';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_marked_to_its_end() {
        let lines = excerpt("a\nb\nab<p class=\"x\">c</p>\nd\ne\nf", 3, 3);
        assert_eq!(lines.len(), 5);
        let marked = &lines[2];
        assert_eq!(marked.number, 3);
        assert_eq!(marked.before, "ab");
        assert_eq!(marked.marked.as_deref(), Some("<p class=\"x\">"));
        assert_eq!(marked.after, "c</p>");
    }

    #[test]
    fn a_word_is_marked_whole() {
        let lines = excerpt("the op-modified time", 1, 5);
        assert_eq!(lines[0].marked.as_deref(), Some("op-modified"));
        assert_eq!(lines[0].after, " time");
    }

    #[test]
    fn a_spot_past_the_end_marks_a_space() {
        let lines = excerpt("abc", 1, 9);
        assert_eq!(lines[0].before, "abc");
        assert_eq!(lines[0].marked.as_deref(), Some(" "));
    }

    #[test]
    fn a_line_outside_the_source_has_no_excerpt() {
        assert!(excerpt("abc", 4, 1).is_empty());
        assert!(excerpt("abc", 0, 1).is_empty());
    }
}
