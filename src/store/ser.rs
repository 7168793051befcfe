//! Serde helpers for the store's records as JSON: times (ms in the store) as RFC 3339 UTC
//! strings, statuses by name.

use serde::Serializer;

use crate::model::{ArticleStatus, rfc3339};

/// A time (ms) as RFC 3339 UTC.
pub fn time<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*ms))
}

/// An optional time (ms) as RFC 3339 UTC, or null.
pub fn opt_time<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&rfc3339(*ms)),
        None => s.serialize_none(),
    }
}

/// An article status as `live` or `draft`.
pub fn status<S: Serializer>(status: &ArticleStatus, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(status.as_str())
}
