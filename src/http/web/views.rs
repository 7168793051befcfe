//! What the templates share: the page chrome, times for people, messages with code,
//! source excerpts and diagnostics, read from the service's typed views.

use std::fmt;

use askama::Template;

use super::WebSession;
use crate::model::{Diagnostic, Timestamp};
pub use crate::model::{ExcerptLine, excerpt};
use crate::service::views::RunDiagnosticView;
use crate::store::KeptDiagnostic;

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

/// "1 error", "2 errors": a count with its noun, singular or plural.
pub fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A day and time as a sentence says it: "4 Dec 10:02 UTC".
pub fn short_date(t: Timestamp) -> String {
    t.utc().format("%-d %b %Y %H:%M UTC").to_string()
}

/// HTML-escaped text (one escape for the pages and the e-mails).
pub use crate::model::escape_html as escape;

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

    /// A diagnostic with the excerpt kept for it.
    pub fn with_excerpt(d: &Diagnostic, excerpt: Vec<ExcerptLine>) -> DiagnosticView {
        let mut view = DiagnosticView::of(d, None);
        view.excerpt = excerpt;
        view
    }

    /// A diagnostic a run kept for an item or a feed, with the excerpt it kept.
    pub fn of_kept(d: &KeptDiagnostic) -> DiagnosticView {
        let severity = if d.severity == "error" {
            "error"
        } else {
            "warning"
        };
        DiagnosticView {
            rule: d.rule.clone(),
            severity: severity.to_string(),
            message_html: code_spans(&d.message),
            line: d.line,
            column: d.line.and(d.column),
            excerpt: d.excerpt.clone(),
        }
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
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "error", "errors"), "1 error");
        assert_eq!(count(0, "error", "errors"), "0 errors");
        assert_eq!(count(3, "warning", "warnings"), "3 warnings");
    }

    #[test]
    fn backticks_become_code_after_escaping() {
        assert_eq!(
            code_spans("the `<script>` element & `x"),
            "the <code>&lt;script&gt;</code> element &amp; `x"
        );
    }
}
