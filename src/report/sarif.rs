//! `lint --format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it.

use serde_json::{Value, json};

use super::LintedInput;
use crate::registry::{RuleId, Severity};

pub(super) fn render(inputs: &[LintedInput], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let rules: Vec<Value> = RuleId::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.as_str(),
                "name": r.as_str(),
                "shortDescription": { "text": r.summary() },
                "fullDescription": { "text": r.summary() },
                "help": { "text": r.doc(), "markdown": r.doc() },
                "defaultConfiguration": { "level": level(r.severity()) },
                "properties": { "tags": [r.group().scope()] },
            })
        })
        .collect();
    let mut results = Vec::new();
    for input in inputs {
        let uri = input.name.trim_start_matches("./").to_string();
        for d in input.diagnostics() {
            let index = RuleId::ALL.iter().position(|r| *r == d.rule).unwrap_or(0);
            let region = match d.position {
                Some(p) => json!({ "startLine": p.line, "startColumn": p.column }),
                None => json!({ "startLine": 1 }),
            };
            results.push(json!({
                "ruleId": d.rule.as_str(),
                "ruleIndex": index,
                "level": level(d.severity()),
                "message": { "text": d.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
                        "region": region,
                    }
                }],
            }));
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "iarss",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/iarss/iarss",
                    "rules": rules,
                }
            },
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}
