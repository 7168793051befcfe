//! `iarss rules` and `iarss explain`: the registry, printed.

use std::str::FromStr;

use serde_json::json;

use super::args::ListFormat;
use super::{EXIT_OK, EXIT_USAGE};
use crate::registry::RuleId;

/// `iarss rules`.
pub fn list(format: ListFormat) -> u8 {
    match format {
        ListFormat::Json => {
            let rows: Vec<_> = RuleId::ALL
                .iter()
                .map(|r| {
                    json!({
                        "id": r.as_str(),
                        "severity": r.severity().as_str(),
                        "scope": r.group().scope(),
                        "summary": r.summary(),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&rows).unwrap_or_default()
            );
        }
        ListFormat::Text => {
            let width = RuleId::ALL
                .iter()
                .map(|r| r.as_str().len())
                .max()
                .unwrap_or(0);
            for r in RuleId::ALL {
                println!(
                    "{:<width$}  {:<7}  {:<7}  {}",
                    r.as_str(),
                    r.severity().as_str(),
                    r.group().scope(),
                    r.summary()
                );
            }
            println!(
                "\n{} rules. `iarss explain RULE` shows one in full.",
                RuleId::ALL.len()
            );
        }
    }
    EXIT_OK
}

/// `iarss explain RULE`.
pub fn explain(id: &str) -> u8 {
    match RuleId::from_str(id) {
        Ok(rule) => {
            println!(
                "# {} ({}, {})\n",
                rule.as_str(),
                rule.severity(),
                rule.group().scope()
            );
            println!("{}\n", rule.summary());
            print!("{}", rule.doc());
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}
