//! Real inputs written by others (`../shared/corpus`, see its README): platform samples must
//! lint as the manifest expects, feed-parser suites must be judged well-formed or not as
//! XML says, and nothing may crash. Without `../shared/corpus` (a lone clone) each test is
//! skipped with a line on stderr; `IARSS_REQUIRE_SHARED=1` makes that a failure.

use crate::kit;
use std::path::Path;

use kit::{all_diagnostics, json, run, shared_corpus};

struct Row {
    path: String,
    expectation: String,
    rules: Vec<String>,
}

fn manifest(corpus: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Row {
                path: cols[0].to_string(),
                expectation: cols.get(5).unwrap_or(&"").to_string(),
                rules: cols
                    .get(6)
                    .unwrap_or(&"")
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(str::to_string)
                    .collect(),
            }
        })
        .collect()
}

#[test]
fn corpus_meets_its_expectations() {
    let Some(corpus) = shared_corpus("corpus_meets_its_expectations") else {
        return;
    };
    let rows = manifest(&corpus);
    assert!(rows.len() >= 400, "manifest has {} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let path = corpus.join(&row.path);
        let path = path.to_string_lossy().to_string();
        let out = run(&["lint", &path, "--format", "json"]);
        let code = out.status.code();
        if !matches!(code, Some(0 | 1)) {
            failures.push(format!(
                "{}: exit {code:?}: {}",
                row.path,
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let doc = json(&out);
        let diags = all_diagnostics(&doc);
        let has = |rule: &str| diags.iter().any(|d| d["rule"] == rule);
        let errors: Vec<String> = diags
            .iter()
            .filter(|d| d["severity"] == "error")
            .map(|d| d["rule"].as_str().unwrap_or_default().to_string())
            .collect();
        let kind = doc["inputs"][0]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let problem = match row.expectation.as_str() {
            "ia-valid" if !errors.is_empty() || kind != "article" => {
                Some(format!("kind {kind}, errors {errors:?}"))
            }
            "ia-has-errors" if !row.rules.iter().all(|r| errors.contains(r)) => {
                Some(format!("expected {:?}, got {errors:?}", row.rules))
            }
            "rss-illformed" if !has("feed-not-well-formed") || code != Some(1) => {
                Some("not reported ill-formed".into())
            }
            "rss-wellformed" if has("feed-not-well-formed") => {
                Some(format!("reported ill-formed: {diags:?}"))
            }
            _ => None,
        };
        if let Some(p) = problem {
            failures.push(format!("{} ({}): {p}", row.path, row.expectation));
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus files off:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ill_formed_feeds_say_where() {
    let Some(corpus) = shared_corpus("ill_formed_feeds_say_where") else {
        return;
    };
    let path = corpus.join("rss-illformed/fp-entities-nbsp.xml");
    let out = run(&["lint", &path.to_string_lossy(), "--format", "json"]);
    let doc = json(&out);
    let d = &doc["inputs"][0]["diagnostics"][0];
    assert_eq!(d["rule"], "feed-not-well-formed");
    // MANIFEST: "undefined entity: line 7, column 15" (expat counts columns from 0).
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(7), Some(16)),
        "{d}"
    );
    assert!(d["message"].as_str().unwrap_or_default().contains("&nbsp;"));
    assert!(
        doc["inputs"][0]["articles"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}

#[test]
fn multibyte_article_positions_count_characters() {
    let Some(corpus) = shared_corpus("multibyte_article_positions_count_characters") else {
        return;
    };
    let path = corpus.join("ia-real/sdk-transformer-instant-article-example-multibyte.html");
    let html = std::fs::read_to_string(&path).expect("read");
    let out = run(&["lint", &path.to_string_lossy(), "--format", "json"]);
    let doc = json(&out);
    for d in all_diagnostics(&doc) {
        let (Some(line), Some(col)) = (d["line"].as_u64(), d["column"].as_u64()) else {
            continue;
        };
        let text = html.lines().nth(line as usize - 1).expect("line exists");
        let at: String = text.chars().skip(col as usize - 1).take(1).collect();
        assert_eq!(at, "<", "{d} points at {at:?} in {text:?}");
    }
}
