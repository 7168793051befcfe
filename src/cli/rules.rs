//! `iarss rules` and `iarss explain`: the registry, printed.

use std::str::FromStr;

use super::EXIT_OK;
use super::args::ListFormat;
use super::error::{CliError, CliResult};
use crate::registry::RuleId;

/// `iarss rules`.
pub fn list(format: ListFormat) -> CliResult {
    match format {
        ListFormat::Json => {
            let rows = crate::service::checks::rules();
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
    Ok(EXIT_OK)
}

/// `iarss explain RULE`.
pub fn explain(id: &str) -> CliResult {
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
            Ok(EXIT_OK)
        }
        Err(e) => Err(CliError::usage(e.to_string())),
    }
}
