//! The rule registry: every rule iarss knows, with its stable id, severity, group, summary
//! and documentation, declared once in [`table`] and read by the linter, `iarss rules`,
//! `iarss explain`, the store and `docs/rules.md` ([`reference`]).
//!
//! It sits below [`model`](crate::model): a [`Diagnostic`](crate::model::Diagnostic) names
//! its rule, and every layer above reads the same table.

pub mod reference;
mod rule;
mod table;

pub use rule::{Group, RuleId, Severity, UnknownRule};
pub(crate) use table::resolve_alias;
