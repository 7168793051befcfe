//! Text output: rustc-style diagnostics with code frames, then a verdict per article.

use std::fmt::Write as _;
use std::io::IsTerminal;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::LintedInput;
use crate::model::Diagnostic;
use crate::parse::InputKind;
use crate::parse::source::sniff_xml_encoding;
use crate::validate::{ArticleReport, Verdict};

pub(super) fn render(inputs: &[LintedInput]) -> String {
    let renderer = if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for input in inputs {
        let lines = SourceLines::load(input);
        for d in &input.report.diagnostics {
            out.push_str(&render_one(&renderer, &input.name, &lines, d, None));
            out.push_str("\n\n");
        }
        for article in &input.report.articles {
            // In a feed, say which item a diagnostic belongs to: positions alone are hard
            // to map back to an item in a long or one-line feed.
            let item = (input.report.kind == InputKind::Feed).then(|| item_label(article));
            for d in &article.diagnostics {
                out.push_str(&render_one(
                    &renderer,
                    &input.name,
                    &lines,
                    d,
                    item.as_deref(),
                ));
                out.push_str("\n\n");
            }
        }
    }
    out.push_str(&summary(inputs));
    out
}

/// `item #3 (https://…)`: the item's index and its canonical URL, else its guid.
fn item_label(article: &ArticleReport) -> String {
    let id = article
        .canonical_url
        .as_ref()
        .map(|c| c.as_str().to_string())
        .or_else(|| article.guid.as_ref().map(|g| format!("guid {g}")));
    match id {
        Some(id) => format!("in item #{} ({id})", article.index),
        None => format!("in item #{}", article.index),
    }
}

fn render_one(
    renderer: &Renderer,
    name: &str,
    lines: &SourceLines,
    d: &Diagnostic,
    item: Option<&str>,
) -> String {
    let level = if d.is_error() {
        Level::ERROR
    } else {
        Level::WARNING
    };
    let title = level.primary_title(d.message.as_str()).id(d.rule.as_str());
    let help = d.help();
    let mut tail = Vec::new();
    if let Some(item) = item {
        tail.push(Group::with_title(Level::NOTE.secondary_title(item)));
    }
    tail.push(Group::with_title(
        Level::HELP.secondary_title(help.as_str()),
    ));
    let line_text = d.position.and_then(|p| lines.line(p.line));
    let rendered = match (d.position, line_text) {
        (Some(p), Some(line)) => {
            let start = lines.column_to_byte(line, p.column.saturating_sub(1) as usize);
            // A frame shows a bounded window of a long line: rendering whole lines would make
            // the output quadratic in a one-line feed.
            let (text, start, cut) = frame_window(line, start);
            let end = tag_end(&text, start);
            let snippet = Snippet::source(text.as_str())
                .line_start(p.line as usize)
                .path(name)
                .annotation(
                    AnnotationKind::Primary
                        .span(start..end)
                        .label(d.rule.summary()),
                );
            let rendered = renderer
                .render(&[vec![title.element(snippet)], tail].concat())
                .to_string();
            if !cut {
                return rendered;
            }
            // The renderer counts the column from the window's start; say the file's own.
            let shown = format!("{name}:{}:{}", p.line, text[..start].chars().count() + 1);
            let actual = format!("{name}:{}:{}", p.line, p.column);
            return rendered.replacen(&shown, &actual, 1);
        }
        (Some(p), None) => {
            let located = format!("{name}:{}:{}", p.line, p.column);
            let note = Level::NOTE.secondary_title(located.as_str());
            renderer.render(
                &[
                    vec![Group::with_title(title), Group::with_title(note)],
                    tail,
                ]
                .concat(),
            )
        }
        (None, _) => {
            let note = Level::NOTE.secondary_title(name);
            renderer.render(
                &[
                    vec![Group::with_title(title), Group::with_title(note)],
                    tail,
                ]
                .concat(),
            )
        }
    };
    rendered.to_string()
}

/// Characters of context a frame keeps on each side of the position.
const FRAME_CONTEXT: usize = 100;

/// The part of `line` around byte `start`, with `…` where it was cut, where `start` is in
/// it, and whether the start of the line was cut.
fn frame_window(line: &str, start: usize) -> (String, usize, bool) {
    let start = start.min(line.len());
    let from = line[..start]
        .char_indices()
        .rev()
        .nth(FRAME_CONTEXT - 1)
        .map_or(0, |(i, _)| i);
    let to = line[start..]
        .char_indices()
        .nth(2 * FRAME_CONTEXT)
        .map_or(line.len(), |(i, _)| start + i);
    let mut text = String::with_capacity(to - from + 8);
    if from > 0 {
        text.push('…');
    }
    let at = text.len() + (start - from);
    text.push_str(&line[from..to]);
    if to < line.len() {
        text.push('…');
    }
    (text, at, from > 0)
}

/// The span to underline: the tag starting at `start`, up to its `>` on the same line.
fn tag_end(text: &str, start: usize) -> usize {
    let start = start.min(text.len());
    let rest = &text[start..];
    if !rest.starts_with('<') && !rest.starts_with('&') {
        return (start + rest.chars().next().map_or(0, char::len_utf8)).min(text.len());
    }
    let close = if rest.starts_with('&') {
        rest.find("&gt;").map(|i| i + 4)
    } else {
        rest.find('>').map(|i| i + 1)
    };
    let end = close
        .unwrap_or(rest.len())
        .min(rest.char_indices().nth(80).map_or(rest.len(), |(i, _)| i));
    start + end.max(rest.chars().next().map_or(0, char::len_utf8))
}

fn summary(inputs: &[LintedInput]) -> String {
    let mut out = String::new();
    let (mut pass, mut warn, mut reject) = (0, 0, 0);
    for input in inputs {
        let report = &input.report;
        if report.failed_as_a_whole() {
            let _ = writeln!(
                out,
                "{}: not checked: the {} failed as a whole",
                input.name,
                input.kind_str()
            );
            continue;
        }
        let _ = writeln!(
            out,
            "{}: {} {}",
            input.name,
            report.articles.len(),
            match report.kind {
                InputKind::Feed => "item(s)",
                InputKind::Article => "article",
            }
        );
        for a in &report.articles {
            let verdict = a.verdict();
            match verdict {
                Verdict::Pass => pass += 1,
                Verdict::Warn => warn += 1,
                Verdict::Reject => reject += 1,
            }
            let errors = a.diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = a.diagnostics.len() - errors;
            let what = match verdict {
                Verdict::Pass => "pass".to_string(),
                Verdict::Warn => format!("ingested with warnings ({warnings} warning(s))"),
                Verdict::Reject => format!("reject ({errors} error(s), {warnings} warning(s))"),
            };
            let _ = writeln!(
                out,
                "  {:>5}  line {:<7} {}  {}",
                format!("#{}", a.index),
                a.line,
                a.canonical_url
                    .as_ref()
                    .map_or("(no canonical URL)", |c| c.as_str()),
                what
            );
        }
    }
    let total_errors: usize = inputs
        .iter()
        .flat_map(|i| i.diagnostics())
        .filter(|d| d.is_error())
        .count();
    let total_warnings: usize = inputs
        .iter()
        .flat_map(|i| i.diagnostics())
        .filter(|d| !d.is_error())
        .count();
    let _ = writeln!(
        out,
        "\n{} article(s): {pass} pass, {warn} ingested with warnings, {reject} rejected; {total_errors} error(s), {total_warnings} warning(s)",
        pass + warn + reject
    );
    out
}

/// The lines of an input as the user has it, for code frames.
struct SourceLines {
    text: String,
    starts: Vec<usize>,
    /// Columns are characters; in ASCII text they are bytes too.
    ascii: bool,
}

impl SourceLines {
    fn load(input: &LintedInput) -> SourceLines {
        let wants_frames = input.diagnostics().any(|d| d.position.is_some());
        let bytes = match (&input.bytes, wants_frames) {
            (_, false) => None,
            (Some(b), true) => Some(b.clone()),
            (None, true) => std::fs::read(&input.name).ok(),
        };
        let text = bytes
            .map(|b| decode(&b, input.report.kind))
            .unwrap_or_default();
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i + 1);
                }
                b'\n' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        let ascii = text.is_ascii();
        SourceLines {
            text,
            starts,
            ascii,
        }
    }

    /// The byte offset of 0-based character `column` in `line`.
    fn column_to_byte(&self, line: &str, column: usize) -> usize {
        if self.ascii {
            return column.min(line.len());
        }
        line.char_indices()
            .nth(column)
            .map_or(line.len(), |(i, _)| i)
    }

    fn line(&self, line: u32) -> Option<&str> {
        let idx = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(idx)?;
        let end = self.starts.get(idx + 1).copied().unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\r', '\n']))
    }
}

fn decode(bytes: &[u8], kind: InputKind) -> String {
    match kind {
        InputKind::Article => crate::parse::decode_html(bytes).0,
        InputKind::Feed => match sniff_xml_encoding(&bytes[..bytes.len().min(4096)], None) {
            Ok(s) => s
                .encoding
                .decode_without_bom_handling(&bytes[s.bom_len..])
                .0
                .into_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}
