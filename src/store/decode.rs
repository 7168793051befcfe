//! Columns the database keeps as text, read back into typed values; a value no migration
//! writes is a decoding error, never a guess.

use super::StoreError;
use crate::model::ArticleStatus;

/// An article status column (`live`, `draft`).
pub(super) fn status_of(text: &str) -> Result<ArticleStatus, StoreError> {
    text.parse()
        .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))
}
