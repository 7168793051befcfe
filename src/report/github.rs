//! `lint --format github`: workflow commands that annotate a pull request, most severe
//! first, escaped as GitHub requires.

use super::LintedInput;
use crate::model::Diagnostic;

pub(super) fn render(inputs: &[LintedInput]) -> String {
    let mut rows: Vec<(&str, &Diagnostic)> = inputs
        .iter()
        .flat_map(|i| i.diagnostics().map(move |d| (i.name.as_str(), d)))
        .collect();
    // Stable: errors first, then warnings, each in input order.
    rows.sort_by_key(|(_, d)| std::cmp::Reverse(d.severity()));
    let mut out = String::new();
    for (file, d) in rows {
        let command = if d.is_error() { "error" } else { "warning" };
        let mut props = vec![format!("file={}", escape_property(file))];
        if let Some(p) = d.position {
            props.push(format!("line={}", p.line));
            props.push(format!("col={}", p.column));
        }
        props.push(format!("title={}", escape_property(d.rule.as_str())));
        out.push_str(&format!(
            "::{command} {}::{}\n",
            props.join(","),
            escape_data(&d.message)
        ));
    }
    out
}

/// Escapes a command's message as GitHub requires (`%`, CR, LF), and writes every other
/// control character as `\u{…}`: a message may quote what a feed holds, and a raw escape
/// sequence would reach the terminal of whoever reads the log.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_as_github_requires() {
        assert_eq!(super::escape_data("50% off\nnow"), "50%25 off%0Anow");
        assert_eq!(super::escape_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn no_raw_control_character_reaches_the_log() {
        let escaped = super::escape_data("red \u{1b}[31mtext\u{7}\u{9b}31m\ttab");
        assert_eq!(escaped, "red \\u{1b}[31mtext\\u{7}\\u{9b}31m\\u{9}tab");
        assert!(!escaped.chars().any(char::is_control));
    }
}
