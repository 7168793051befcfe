//! Lint and the rule registry over HTTP: the same checks and the same JSON as `iarss lint
//! --format json`, `iarss rules --format json` and `iarss explain`.

use std::str::FromStr;

use super::views::RuleView;
use super::{Service, ServiceError};
use crate::model::Domain;
use crate::registry::RuleId;
use crate::report::{LintFormat, LintedInput, render};
use crate::validate::{CheckOptions, check_input};

/// Every rule, in registry order.
pub fn rules() -> Vec<RuleView> {
    RuleId::ALL
        .iter()
        .map(|r| RuleView::of(*r, false))
        .collect()
}

/// One rule with its documentation.
pub fn rule(id: &str) -> Result<RuleView, ServiceError> {
    RuleId::from_str(id)
        .map(|r| RuleView::of(r, true))
        .map_err(|_| {
            ServiceError::NotFound(format!("no rule `{id}`; GET /api/v1/rules lists them"))
        })
}

impl Service {
    /// Checks one article's HTML as an item of `page_id`'s feed would be checked (its
    /// canonical URL against the page's domain), or without a page (no domain check).
    /// Writes nothing.
    pub async fn check_html(
        &self,
        caller: &crate::access::Caller,
        page_id: Option<&str>,
        html: String,
    ) -> Result<Vec<crate::model::Diagnostic>, ServiceError> {
        let domain = match page_id {
            Some(id) => Some(self.visible_page(caller, id).await?.domain),
            None => None,
        };
        let options = CheckOptions {
            domain,
            zone: self.zone(),
            ..CheckOptions::default()
        };
        let checked = tokio::task::spawn_blocking(move || {
            let report = check_input(html.into_bytes(), std::io::empty(), &options);
            report.all_diagnostics().cloned().collect::<Vec<_>>()
        })
        .await;
        checked.map_err(|e| ServiceError::Internal(format!("the check failed: {e}")))
    }

    /// Lints one feed or article (`body`) as `iarss lint --format json` does, checking
    /// canonical URLs against `domain` when given. Runs on a blocking thread: checking is
    /// CPU work that must not hold up the server's other requests.
    pub async fn lint(&self, domain: Option<&str>, body: Vec<u8>) -> Result<Vec<u8>, ServiceError> {
        let domain = domain
            .map(|d| Domain::parse(d).map_err(|e| ServiceError::BadRequest(format!("domain: {e}"))))
            .transpose()?;
        let options = CheckOptions {
            domain,
            zone: self.zone(),
            ..CheckOptions::default()
        };
        let rendered = tokio::task::spawn_blocking(move || {
            let report = check_input(body, std::io::empty(), &options);
            let linted = [LintedInput::new("-", report, None)];
            let mut out = Vec::new();
            render(LintFormat::Json, &linted, &mut out).map(|()| out)
        })
        .await;
        match rendered {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => Err(ServiceError::BadRequest(format!(
                "cannot render the report: {e}"
            ))),
            Err(e) => Err(ServiceError::BadRequest(format!("the check failed: {e}"))),
        }
    }
}
