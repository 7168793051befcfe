//! A diagnostic: one rule broken at one place.

use serde::Serialize;

use crate::registry::{RuleId, Severity};

/// A 1-based line and column in the input as the user has it; columns count Unicode scalar
/// values (a tab is one, a leading BOM is not counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Default for Position {
    fn default() -> Self {
        Position::START
    }
}

impl Position {
    /// The first character of the input.
    pub const START: Position = Position { line: 1, column: 1 };
}

/// One rule broken at one place, with a message for the publisher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Which rule.
    pub rule: RuleId,
    /// What exactly is wrong, in the terms of this input.
    pub message: String,
    /// Where, or `None` where no position applies.
    pub position: Option<Position>,
}

impl Diagnostic {
    /// A diagnostic for `rule` at `position`.
    pub fn new(rule: RuleId, message: impl Into<String>, position: Option<Position>) -> Self {
        Diagnostic {
            rule,
            message: message.into(),
            position,
        }
    }

    /// The rule's severity.
    pub fn severity(&self) -> Severity {
        self.rule.severity()
    }

    /// `true` for error-severity diagnostics.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// How to fix it: the rule's one-line summary is the problem, this is the short help.
    pub fn help(&self) -> String {
        format!("see `iarss explain {}`", self.rule.as_str())
    }
}
