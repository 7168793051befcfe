//! What the templates share: the page chrome, times for people, messages with code,
//! source excerpts and diagnostics, read from the service's typed views.

use std::fmt;

use askama::Template;

use super::WebSession;
use crate::model::{Diagnostic, Timestamp};
use crate::service::views::RunDiagnosticView;

/// The signed-in user, as the header shows them.
pub struct Nav {
    /// Their e-mail address.
    pub email: String,
    /// Operators see Audit and Users.
    pub operator: bool,
    /// The session's form token (the Sign out form).
    pub form_token: String,
}

/// The header and the breadcrumbs of a page.
pub struct Chrome {
    /// Who is signed in, if anyone.
    pub nav: Option<Nav>,
    /// Breadcrumbs: text and link (the last one, the page itself, has no link).
    pub crumbs: Vec<(String, String)>,
}

impl Chrome {
    /// For a signed-in user.
    pub fn signed_in(session: &WebSession, crumbs: Vec<(String, String)>) -> Chrome {
        Chrome {
            nav: Some(Nav {
                email: session.caller.email.clone(),
                operator: session.caller.is_operator(),
                form_token: session.form_token.clone(),
            }),
            crumbs,
        }
    }

    /// For no one (the login form and error pages).
    pub fn anonymous() -> Chrome {
        Chrome {
            nav: None,
            crumbs: Vec::new(),
        }
    }
}

/// A breadcrumb with a link.
pub fn crumb(text: impl Into<String>, href: impl Into<String>) -> (String, String) {
    (text.into(), href.into())
}

/// The last breadcrumb: the page itself.
pub fn here(text: impl Into<String>) -> (String, String) {
    (text.into(), String::new())
}

/// An error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Header.
    pub chrome: Chrome,
    /// Heading.
    pub title: &'static str,
    /// What happened.
    pub message: String,
}

/// `s` percent-encoded for a query string.
pub fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `s` as one URL path segment.
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// HTML-escaped text.
pub fn escape(s: &str) -> String {
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

/// A message as HTML: escaped first, then each backticked part as `<code>`.
pub fn code_spans(message: &str) -> String {
    let escaped = escape(message);
    let mut out = String::with_capacity(escaped.len() + 16);
    let mut parts = escaped.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let rest: Vec<&str> = parts.collect();
    let mut i = 0;
    while i < rest.len() {
        if i + 1 < rest.len() {
            out.push_str("<code>");
            out.push_str(rest[i]);
            out.push_str("</code>");
            out.push_str(rest[i + 1]);
            i += 2;
        } else {
            // An unpaired backtick stays as it was.
            out.push('`');
            out.push_str(rest[i]);
            i += 1;
        }
    }
    out
}

/// A time for people: "4 min ago" in a `<time>` with the exact UTC time as its title.
#[derive(Clone, Debug)]
pub struct Time {
    /// RFC 3339.
    pub iso: String,
    /// "2024-05-01 12:00:00 UTC".
    pub exact: String,
    /// "4 min ago", "in 3 h".
    pub human: String,
}

impl From<Timestamp> for Time {
    fn from(t: Timestamp) -> Time {
        let utc = t.utc();
        let diff = chrono::Utc::now().signed_duration_since(utc).num_seconds();
        Time {
            iso: utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            exact: utc.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            human: human(diff, &utc),
        }
    }
}

impl Time {
    /// A time, or none.
    pub fn of(t: Option<Timestamp>) -> Option<Time> {
        t.map(Time::from)
    }

    /// A time kept in milliseconds, or none.
    pub fn of_ms(ms: Option<i64>) -> Option<Time> {
        ms.map(|m| Time::from(Timestamp(m)))
    }
}

fn human(seconds_ago: i64, t: &chrono::DateTime<chrono::Utc>) -> String {
    let future = seconds_ago < 0;
    let s = seconds_ago.unsigned_abs();
    let amount = if s < 45 {
        return if future { "in a moment" } else { "just now" }.to_string();
    } else if s < 90 * 60 {
        format!("{} min", (s + 30) / 60)
    } else if s < 36 * 3600 {
        format!("{} h", (s + 1800) / 3600)
    } else if s < 30 * 86400 {
        format!("{} days", (s + 43200) / 86400)
    } else {
        return t.format("%Y-%m-%d").to_string();
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// Server-made HTML (no feed text in it): a `<time>` element.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<time datetime=\"{}\" title=\"{}\">{}</time>",
            escape(&self.iso),
            escape(&self.exact),
            escape(&self.human)
        )
    }
}

/// One line of a source excerpt.
pub struct ExcerptLine {
    /// 1-based.
    pub number: usize,
    /// The whole line, or what comes before the spot on the marked line.
    pub before: String,
    /// The character at the spot (marked lines only).
    pub marked: Option<String>,
    /// What follows the spot.
    pub after: String,
}

/// How many characters of a long line are shown on each side of the spot.
const EXCERPT_SIDE: usize = 80;

/// The lines of `source` around `line`:`column` (1-based), the spot marked.
pub fn excerpt(source: &str, line: i64, column: i64) -> Vec<ExcerptLine> {
    let Ok(line) = usize::try_from(line) else {
        return Vec::new();
    };
    if line == 0 {
        return Vec::new();
    }
    let column = usize::try_from(column).unwrap_or(1).max(1);
    let first = line.saturating_sub(2).max(1);
    source
        .lines()
        .enumerate()
        .skip(first - 1)
        .take(line + 2 - first + 1)
        .map(|(i, text)| {
            let number = i + 1;
            let chars: Vec<char> = text.chars().collect();
            if number != line {
                let shown = chars.len().min(2 * EXCERPT_SIDE);
                let mut before: String = chars[..shown].iter().collect();
                if shown < chars.len() {
                    before.push('…');
                }
                return ExcerptLine {
                    number,
                    before,
                    marked: None,
                    after: String::new(),
                };
            }
            let at = (column - 1).min(chars.len());
            let start = at.saturating_sub(EXCERPT_SIDE);
            let end = (at + 1 + EXCERPT_SIDE).min(chars.len());
            let mut before: String = chars[start..at].iter().collect();
            if start > 0 {
                before.insert(0, '…');
            }
            let marked = chars.get(at).map_or(" ".to_string(), |c| c.to_string());
            let mut after: String = chars
                .get(at + 1..end)
                .map_or(String::new(), |s| s.iter().collect());
            if end < chars.len() {
                after.push('…');
            }
            ExcerptLine {
                number,
                before,
                marked: Some(marked),
                after,
            }
        })
        .collect()
}

/// A diagnostic as the pages show it.
pub struct DiagnosticView {
    /// Rule id.
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The message as HTML (escaped, backticked parts as code).
    pub message_html: String,
    /// Line, when known.
    pub line: Option<i64>,
    /// Column, when known.
    pub column: Option<i64>,
    /// The source around the spot.
    pub excerpt: Vec<ExcerptLine>,
}

impl DiagnosticView {
    /// A diagnostic, with an excerpt of `source` when given.
    pub fn of(d: &Diagnostic, source: Option<&str>) -> DiagnosticView {
        DiagnosticView::new(
            d.rule.as_str(),
            d.severity().as_str(),
            &d.message,
            d.position.map(|p| (i64::from(p.line), i64::from(p.column))),
            source,
        )
    }

    /// A diagnostic a run reported, with an excerpt of `source` when given.
    pub fn of_run(d: &RunDiagnosticView, source: Option<&str>) -> DiagnosticView {
        DiagnosticView::new(
            &d.rule,
            d.severity.as_str(),
            &d.message,
            d.line.map(|l| (l, d.column.unwrap_or(1))),
            source,
        )
    }

    fn new(
        rule: &str,
        severity: &str,
        message: &str,
        at: Option<(i64, i64)>,
        source: Option<&str>,
    ) -> DiagnosticView {
        let excerpt = match (source, at) {
            (Some(s), Some((l, c))) => excerpt(s, l, c),
            _ => Vec::new(),
        };
        DiagnosticView {
            rule: rule.to_string(),
            severity: severity.to_string(),
            message_html: code_spans(message),
            line: at.map(|(l, _)| l),
            column: at.map(|(_, c)| c),
            excerpt,
        }
    }

    /// `line:column`, or "".
    pub fn position(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{l}:{c}"),
            (Some(l), None) => format!("{l}"),
            _ => String::new(),
        }
    }
}

/// One line of a unified diff, with its kind for styling.
pub struct DiffLine {
    /// `add`, `del`, `hunk` or `same`.
    pub kind: &'static str,
    /// The line.
    pub text: String,
}

/// A unified diff's lines.
pub fn diff_lines(diff: &str) -> Vec<DiffLine> {
    diff.lines()
        .map(|l| DiffLine {
            kind: if l.starts_with("+++") || l.starts_with("---") {
                "file"
            } else if l.starts_with('+') {
                "add"
            } else if l.starts_with('-') {
                "del"
            } else if l.starts_with("@@") {
                "hunk"
            } else {
                "same"
            },
            text: l.to_string(),
        })
        .collect()
}

/// A unified diff between two texts.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_code_after_escaping() {
        assert_eq!(
            code_spans("the `<script>` element & `x"),
            "the <code>&lt;script&gt;</code> element &amp; `x"
        );
    }

    #[test]
    fn excerpt_marks_the_spot() {
        let lines = excerpt("a\nb\nabcdef\nd\ne\nf", 3, 3);
        assert_eq!(lines.len(), 5);
        let marked = &lines[2];
        assert_eq!(marked.number, 3);
        assert_eq!(marked.before, "ab");
        assert_eq!(marked.marked.as_deref(), Some("c"));
        assert_eq!(marked.after, "def");
    }
}
