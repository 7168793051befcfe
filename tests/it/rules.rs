//! Every rule: its fixture triggers it, its fixed twin does not (testdata/rules/<id>/), and
//! the registry is complete: documented in four sections, with a fixture wherever the rule
//! can be decided from the input alone.

use crate::kit;
use std::path::Path;
use std::str::FromStr;

use iarss::validate::{Group, RuleId};
use kit::{json, rules_of, run};

/// Rules decided by the fetcher, the parse budget or the store: no markup fixture.
const NEEDS_MORE_THAN_INPUT: &[&str] = &[
    "feed-fetch-failed",
    "feed-download-timeout",
    "feed-parse-budget-exceeded",
    "feed-too-large",
];

fn fixture(rule: &str, kind: &str) -> Option<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/rules")
        .join(rule);
    ["html", "xml"]
        .iter()
        .map(|ext| dir.join(format!("{kind}.{ext}")))
        .find(|p| p.exists())
        .map(|p| {
            p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(&p)
                .display()
                .to_string()
        })
}

fn lint_rules(path: &str) -> (Vec<String>, serde_json::Value) {
    let out = run(&["lint", path, "--domain", "example.com", "--format", "json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{path}: exit {:?}",
        out.status.code()
    );
    let doc = json(&out);
    (rules_of(&doc), doc)
}

#[test]
fn every_fixture_triggers_its_rule_and_its_twin_does_not() {
    let mut checked = 0;
    for rule in RuleId::ALL {
        let id = rule.as_str();
        let (Some(fail), Some(pass)) = (fixture(id, "fail"), fixture(id, "pass")) else {
            continue;
        };
        let (fail_rules, _) = lint_rules(&fail);
        assert!(
            fail_rules.iter().any(|r| r == id),
            "{fail} does not report {id}: {fail_rules:?}"
        );
        let (pass_rules, doc) = lint_rules(&pass);
        assert!(
            !pass_rules.iter().any(|r| r == id),
            "{pass} still reports {id}"
        );
        assert_eq!(
            doc["summary"]["errors"], 0,
            "{pass} has errors: {pass_rules:?}"
        );
        checked += 1;
    }
    assert!(checked >= 95, "only {checked} rules have fixtures");
}

#[test]
fn every_rule_decidable_from_input_has_fixtures() {
    for rule in RuleId::ALL {
        let id = rule.as_str();
        if rule.group() == Group::Update || NEEDS_MORE_THAN_INPUT.contains(&id) {
            continue;
        }
        assert!(
            fixture(id, "fail").is_some() && fixture(id, "pass").is_some(),
            "{id} has no fixture pair"
        );
    }
}

#[test]
fn every_rule_is_documented_in_four_sections() {
    for rule in RuleId::ALL {
        let doc = rule.doc();
        let sections = [
            "## What it checks",
            "## Why",
            "## Example",
            "## Use instead",
        ];
        let mut at = 0;
        for s in sections {
            let found = doc[at..]
                .find(s)
                .unwrap_or_else(|| panic!("{}: no `{s}` section in order", rule.as_str()));
            at += found + s.len();
        }
        assert!(
            doc.starts_with("## What it checks"),
            "{}: text before the first section",
            rule.as_str()
        );
        assert!(
            doc.matches("```").count() >= 4,
            "{}: Example and Use instead need code blocks",
            rule.as_str()
        );
        assert!(!rule.summary().is_empty() && !rule.summary().contains('\n'));
    }
}

#[test]
fn ids_are_kebab_case_unique_and_round_trip() {
    let mut seen = std::collections::HashSet::new();
    for rule in RuleId::ALL {
        let id = rule.as_str();
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{id}"
        );
        assert!(seen.insert(id), "{id} twice");
        assert_eq!(RuleId::from_str(id).ok(), Some(*rule));
    }
    assert_eq!(
        RuleId::ALL.len(),
        110,
        "108 rules of rules.md, nesting-too-deep and update-canonical-changed"
    );
}

#[test]
fn fixture_text_output_snapshots() {
    insta::glob!("../../testdata/rules", "*/fail.*", |path| {
        let rel = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(path)
            .display()
            .to_string();
        let out = run(&["lint", &rel, "--domain", "example.com"]);
        insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
    });
}

/// `docs/rules.md` is what the registry says; `IARSS_UPDATE_DOCS=1` rewrites it.
#[test]
fn the_rules_reference_in_docs_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let generated = iarss::registry::reference::markdown();
    if std::env::var_os("IARSS_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/rules.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: regenerate it with `IARSS_UPDATE_DOCS=1 cargo test --release \
         --test it rules::the_rules_reference_in_docs_is_current`"
    );
}
