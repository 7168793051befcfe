//! What a rule is: its id, severity, group and documentation, declared once in
//! [`table`](super::table) with [`declare_rules!`].

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How bad a diagnostic is.
///
/// An `Error` keeps an article out of the store (or fails a whole feed run for feed-level
/// rules); a `Warning` is logged and the article is ingested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The article is ingested and the warning logged.
    Warning,
    /// The article is not ingested (or the run fails, for feed-level rules).
    Error,
}

impl Severity {
    /// `"error"` or `"warning"`, as in the JSON contract.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The section of the rules a rule belongs to; it decides where the rule is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    /// The feed document and its channel (`feed-…`).
    Feed,
    /// An RSS `<item>`'s own elements (`item-…`).
    Item,
    /// The article document and its `<head>`.
    Head,
    /// The article `<header>`.
    Header,
    /// Body text structure.
    Body,
    /// Images, video, audio, slideshows and captions.
    Media,
    /// Interactive and social embeds, ads, analytics and maps.
    Embeds,
    /// Related articles and the footer.
    Footer,
    /// Rules decided against the stored version of an article (`update-…`).
    Update,
}

impl Group {
    /// The rule's scope as the JSON contract names it: `feed | item | article | update`.
    pub fn scope(self) -> &'static str {
        match self {
            Group::Feed => "feed",
            Group::Item => "item",
            Group::Update => "update",
            _ => "article",
        }
    }
}

/// Parsing an unknown rule id.
#[derive(Debug, thiserror::Error)]
#[error("unknown rule `{0}` (run `iarss rules` to list them)")]
pub struct UnknownRule(pub String);

/// Declares [`RuleId`] and its metadata from one table.
macro_rules! declare_rules {
    ($(($variant:ident, $id:literal, $severity:ident, $group:ident, $summary:literal)),* $(,)?) => {
        /// A rule's stable identity. `as_str` gives the kebab-case id of the contract.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        impl RuleId {
            /// Every rule, in registry order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant),*];

            /// The kebab-case id (`figure-in-paragraph`).
            pub const fn as_str(self) -> &'static str {
                match self { $(RuleId::$variant => $id),* }
            }

            /// The rule's severity.
            pub const fn severity(self) -> $crate::registry::Severity {
                match self { $(RuleId::$variant => $crate::registry::Severity::$severity),* }
            }

            /// The section of the rules the rule belongs to.
            pub const fn group(self) -> $crate::registry::Group {
                match self { $(RuleId::$variant => $crate::registry::Group::$group),* }
            }

            /// The one-line summary shown by `iarss rules`.
            pub const fn summary(self) -> &'static str {
                match self { $(RuleId::$variant => $summary),* }
            }

            /// The full documentation shown by `iarss explain`: what it checks, why, a
            /// failing example and the fix.
            pub const fn doc(self) -> &'static str {
                match self { $(RuleId::$variant => include_str!(concat!("docs/", $id, ".md"))),* }
            }
        }

        impl std::str::FromStr for RuleId {
            type Err = $crate::registry::UnknownRule;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = $crate::registry::resolve_alias(s);
                match s {
                    $($id => Ok(RuleId::$variant),)*
                    other => Err($crate::registry::UnknownRule(other.to_string())),
                }
            }
        }
    };
}
pub(crate) use declare_rules;

pub use super::table::RuleId;

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A rule id in the OpenAPI document: one of the registry's ids, so a client can tell a
/// rule it does not know from a typo.
impl utoipa::PartialSchema for RuleId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A rule id (`iarss rules` lists them)"))
            .enum_values(Some(RuleId::ALL.iter().map(|r| r.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for RuleId {}

impl<'de> serde::Deserialize<'de> for RuleId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RuleId::from_str(&s).map_err(serde::de::Error::custom)
    }
}
