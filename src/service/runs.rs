//! Feed runs: a page's runs newest first, and one run with what it reported.

use std::str::FromStr;

use serde_json::{Value, json};

use super::{Listing, Service, ServiceError, decode_id_cursor, encode_cursor};
use crate::access::Caller;
use crate::registry::RuleId;
use crate::store::StoredDiagnostic;

/// A logged diagnostic as cli.md's diagnostic object, with its article.
pub fn logged_diagnostic(d: &StoredDiagnostic) -> Value {
    let help = RuleId::from_str(&d.rule)
        .map(|r| format!("see `iarss explain {}`", r.as_str()))
        .ok();
    json!({
        "rule": d.rule,
        "severity": d.severity,
        "message": d.message,
        "line": d.line,
        "column": d.column,
        "help": help,
        "canonical_url": d.canonical_url,
        "occurrences": d.occurrences,
    })
}

impl Service {
    /// A page's runs, newest first.
    pub async fn page_runs(
        &self,
        caller: &Caller,
        page_id: &str,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Listing<Value>, ServiceError> {
        self.visible_page(caller, page_id).await?;
        let before = decode_id_cursor(cursor)?;
        let mut runs = self.store.page_runs(page_id, before, limit + 1).await?;
        let more = runs.len() as i64 > limit;
        runs.truncate(limit as usize);
        Ok(Listing {
            next_cursor: more
                .then(|| {
                    runs.last()
                        .and_then(|r| r.id)
                        .map(|id| encode_cursor(&id.to_string()))
                })
                .flatten(),
            items: runs.iter().map(crate::report::records::run).collect(),
        })
    }

    /// One run with its diagnostics (feed-level first, then per article).
    pub async fn run(&self, caller: &Caller, run_id: i64) -> Result<Value, ServiceError> {
        let missing = || ServiceError::NotFound("no such run".into());
        let run = self.store.run(run_id).await?.ok_or_else(missing)?;
        if !caller.scope.allows(&run.page_id) {
            return Err(missing());
        }
        let mut diagnostics = self.store.run_diagnostics(&run.page_id, run_id).await?;
        diagnostics.sort_by_key(|d| d.canonical_url.is_some());
        let mut value = crate::report::records::run(&run);
        value["diagnostics"] = diagnostics.iter().map(logged_diagnostic).collect();
        Ok(value)
    }
}
