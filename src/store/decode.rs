//! Columns the database keeps as text, read back into typed values; a value no migration
//! writes is a decoding error, never a guess.

use super::StoreError;
use crate::model::ArticleStatus;

/// A stored value that does not decode, as the store's error.
pub(super) fn decode_error(e: impl Into<sqlx::error::BoxDynError>) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(e.into()))
}

/// An article status column (`live`, `draft`).
pub(super) fn status_of(text: &str) -> Result<ArticleStatus, StoreError> {
    text.parse().map_err(decode_error)
}

/// A JSON column, parsed.
pub(super) fn json_of<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(decode_error)
}
