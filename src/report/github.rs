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

/// Escapes a command's message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
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
}
