//! Who is asking: a role, the pages it reaches, and what the audit log calls it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::AccessError;

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, on every page.
    Operator,
    /// Only the pages the user is a member of.
    Publisher,
}

impl Role {
    /// `operator` or `publisher`, as stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Publisher => "publisher",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AccessError;

    fn from_str(s: &str) -> Result<Role, AccessError> {
        match s {
            "operator" => Ok(Role::Operator),
            "publisher" => Ok(Role::Publisher),
            other => Err(AccessError::Invalid(format!(
                "`{other}` is not a role (operator or publisher)"
            ))),
        }
    }
}

/// The pages a caller reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every page (operators).
    All,
    /// These pages only (a publisher's memberships, ordered by id).
    Pages(Vec<String>),
}

impl Scope {
    /// Whether the page is reachable.
    pub fn allows(&self, page_id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Pages(pages) => pages.iter().any(|p| p == page_id),
        }
    }

    /// The reachable pages, or `None` for every page.
    pub fn page_ids(&self) -> Option<&[String]> {
        match self {
            Scope::All => None,
            Scope::Pages(pages) => Some(pages),
        }
    }
}

/// Who is making a request: a user authenticated by a token or a session, or the command
/// line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The user's id (`None` for the command line).
    pub user_id: Option<i64>,
    /// The user's e-mail address (`cli` for the command line): the audit log's actor.
    pub email: String,
    /// The user's role.
    pub role: Role,
    /// The pages reachable.
    pub scope: Scope,
    /// The network address of the request (none from the command line).
    pub address: Option<String>,
}

impl Caller {
    /// The command line: an operator on every page, audited as `cli`.
    pub fn cli() -> Caller {
        Caller {
            user_id: None,
            email: "cli".into(),
            role: Role::Operator,
            scope: Scope::All,
            address: None,
        }
    }

    /// Whether the caller is an operator.
    pub fn is_operator(&self) -> bool {
        self.role == Role::Operator
    }

    /// The name the audit log records for the caller.
    pub fn actor(&self) -> &str {
        &self.email
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_roles() {
        let publisher = Scope::Pages(vec!["news".into()]);
        assert!(publisher.allows("news") && !publisher.allows("sport"));
        assert_eq!(publisher.page_ids(), Some(&["news".to_string()][..]));
        assert!(Scope::All.allows("any") && Scope::All.page_ids().is_none());
        assert_eq!("operator".parse::<Role>().unwrap(), Role::Operator);
        assert!("admin".parse::<Role>().is_err());
        assert_eq!(
            serde_json::to_string(&Role::Publisher).unwrap(),
            "\"publisher\""
        );
        let cli = Caller::cli();
        assert!(cli.is_operator() && cli.actor() == "cli");
    }
}
