//! Rules as `iarss rules` and `iarss explain` show them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::registry::{Group, RuleId, Severity};

/// Where a rule is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleScope {
    /// The feed as a whole: an error fails the run.
    Feed,
    /// An RSS item's own elements.
    Item,
    /// The article document.
    Article,
    /// The article against its stored version.
    Update,
}

/// A rule: id, severity, scope, summary, and its documentation when one rule is asked for.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RuleView {
    /// Its stable id.
    pub id: RuleId,
    /// `error` or `warning`.
    pub severity: Severity,
    /// Where it is decided.
    pub scope: RuleScope,
    /// One line on what it checks.
    pub summary: &'static str,
    /// Its documentation in Markdown: what it checks, why, a failing example and the fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<&'static str>,
}

impl RuleView {
    /// The view of `rule`, with its documentation when `with_doc`.
    pub fn of(rule: RuleId, with_doc: bool) -> RuleView {
        RuleView {
            id: rule,
            severity: rule.severity(),
            scope: match rule.group() {
                Group::Feed => RuleScope::Feed,
                Group::Item => RuleScope::Item,
                Group::Update => RuleScope::Update,
                _ => RuleScope::Article,
            },
            summary: rule.summary(),
            doc: with_doc.then(|| rule.doc()),
        }
    }
}
