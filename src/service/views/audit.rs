//! The audit log's entries.

use serde::Serialize;
use utoipa::ToSchema;

use crate::model::Timestamp;
use crate::store::AuditEntry;

/// A manual action: who did what, on which object, when and from where.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// Its id: increases in creation order.
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// Who: a user's e-mail address, or `cli` for the command line.
    pub actor: String,
    /// What (`article_edited`, `login_failed`, …).
    pub action: String,
    /// On which object (a canonical URL, a page id, a user).
    pub object: Option<String>,
    /// The page concerned.
    pub page_id: Option<String>,
    /// From which address.
    pub address: Option<String>,
    /// Anything else.
    pub detail: Option<String>,
}

impl From<&AuditEntry> for AuditView {
    fn from(e: &AuditEntry) -> AuditView {
        AuditView {
            id: e.id,
            at: Timestamp(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            object: e.object.clone(),
            page_id: e.page_id.clone(),
            address: e.address.clone(),
            detail: e.detail.clone(),
        }
    }
}
