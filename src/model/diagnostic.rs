//! A diagnostic: one rule broken at one place.

use serde::{Deserialize, Serialize};

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

/// A diagnostic as the JSON contract writes it (docs/cli.md): `rule`, `severity`,
/// `message`, `line`, `column`, `help`.
#[derive(Serialize, Deserialize)]
struct DiagnosticJson<'a> {
    rule: RuleId,
    #[serde(default, skip_deserializing)]
    severity: &'a str,
    message: std::borrow::Cow<'a, str>,
    line: Option<u32>,
    column: Option<u32>,
    #[serde(default, skip_deserializing)]
    help: String,
}

impl Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        DiagnosticJson {
            rule: self.rule,
            severity: self.severity().as_str(),
            message: std::borrow::Cow::Borrowed(&self.message),
            line: self.position.map(|p| p.line),
            column: self.position.map(|p| p.column),
            help: self.help(),
        }
        .serialize(s)
    }
}

/// The diagnostic object of the JSON contract, as the OpenAPI document describes it.
impl utoipa::PartialSchema for Diagnostic {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::Ref;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let position = |what: &'static str| {
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::Integer,
                    Type::Null,
                ]))
                .minimum(Some(1))
                .description(Some(what))
        };
        ObjectBuilder::new()
            .description(Some("One rule broken at one place"))
            .property("rule", Ref::from_schema_name("RuleId"))
            .required("rule")
            .property("severity", Ref::from_schema_name("Severity"))
            .required("severity")
            .property(
                "message",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("What is wrong, in the terms of this input")),
            )
            .required("message")
            .property(
                "line",
                position("1-based line, or null where no position applies"),
            )
            .required("line")
            .property("column", position("1-based column in characters, or null"))
            .required("column")
            .property(
                "help",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("Where to read more: `iarss explain RULE`")),
            )
            .required("help")
            .into()
    }
}

impl utoipa::ToSchema for Diagnostic {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push((RuleId::name().into(), RuleId::schema()));
        schemas.push((Severity::name().into(), Severity::schema()));
    }
}

/// Reads what [`Serialize`] wrote (severity and help follow from the rule).
impl<'de> Deserialize<'de> for Diagnostic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = DiagnosticJson::deserialize(d)?;
        let position = match (j.line, j.column) {
            (Some(line), Some(column)) => Some(Position { line, column }),
            _ => None,
        };
        Ok(Diagnostic::new(j.rule, j.message.into_owned(), position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_the_contracts_and_reads_back() {
        let d = Diagnostic::new(
            RuleId::MissingTitle,
            "no h1",
            Some(Position { line: 3, column: 7 }),
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "rule": "missing-title",
                "severity": "error",
                "message": "no h1",
                "line": 3,
                "column": 7,
                "help": "see `iarss explain missing-title`",
            })
        );
        assert_eq!(serde_json::from_value::<Diagnostic>(json).unwrap(), d);
        let feed_level = Diagnostic::new(RuleId::FeedNoItems, "none", None);
        let back = serde_json::to_string(&feed_level).unwrap();
        assert_eq!(
            serde_json::from_str::<Diagnostic>(&back).unwrap(),
            feed_level
        );
    }
}
