//! Whether a stored article is shown to readers.

use std::fmt;
use std::str::FromStr;

/// `live` articles came through a page's production feed; `draft`s through its development
/// feed and are seen by the page's admins only.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    /// Published.
    Live,
    /// Visible to the page's admins only.
    Draft,
}

impl ArticleStatus {
    /// As the store and the JSON outputs write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Live => "live",
            ArticleStatus::Draft => "draft",
        }
    }
}

impl fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status the store does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown article status `{0}` (live or draft)")]
pub struct UnknownStatus(pub String);

impl FromStr for ArticleStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "live" => Ok(ArticleStatus::Live),
            "draft" => Ok(ArticleStatus::Draft),
            other => Err(UnknownStatus(other.to_string())),
        }
    }
}
