//! `lint --format json` (version 1), exactly as cli.md specifies.

use serde_json::{Value, json};

use super::LintedInput;
use crate::model::Diagnostic;
use crate::validate::Verdict;

/// A diagnostic as a JSON object.
pub fn diagnostic(d: &Diagnostic) -> Value {
    json!({
        "rule": d.rule.as_str(),
        "severity": d.severity().as_str(),
        "message": d.message,
        "line": d.position.map(|p| p.line),
        "column": d.position.map(|p| p.column),
        "help": d.help(),
    })
}

pub(super) fn render(inputs: &[LintedInput]) -> String {
    let mut summary = (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let rendered: Vec<Value> = inputs
        .iter()
        .map(|input| {
            let articles: Vec<Value> = input
                .report
                .articles
                .iter()
                .map(|a| {
                    let verdict = a.verdict();
                    summary.0 += 1;
                    match verdict {
                        Verdict::Pass => summary.1 += 1,
                        Verdict::Warn => summary.2 += 1,
                        Verdict::Reject => summary.3 += 1,
                    }
                    json!({
                        "index": a.index,
                        "guid": a.guid,
                        "canonical_url": a.canonical_url,
                        "line": a.line,
                        "verdict": verdict,
                        "diagnostics": a.diagnostics.iter().map(diagnostic).collect::<Vec<_>>(),
                    })
                })
                .collect();
            for d in input.diagnostics() {
                if d.is_error() {
                    summary.4 += 1;
                } else {
                    summary.5 += 1;
                }
            }
            json!({
                "input": input.name,
                "kind": input.kind_str(),
                "diagnostics": input.report.diagnostics.iter().map(diagnostic).collect::<Vec<_>>(),
                "articles": articles,
            })
        })
        .collect();
    let doc = json!({
        "version": 1,
        "inputs": rendered,
        "summary": {
            "articles": summary.0,
            "pass": summary.1,
            "warn": summary.2,
            "reject": summary.3,
            "errors": summary.4,
            "warnings": summary.5,
        }
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
