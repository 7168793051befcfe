//! Reads the web pages need beyond the API's: a page's settings with its members.

use super::{Service, ServiceError};
use crate::access::Caller;
use crate::store::Page;

impl Service {
    /// A page as stored (feed URLs unmasked) with its members' e-mail addresses:
    /// operators only; anyone else who may not see the page gets the answer for a page that
    /// does not exist.
    pub async fn page_settings(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(Page, Vec<String>), ServiceError> {
        let page = self.visible_page(caller, id).await?;
        self.require_operator(caller, "see a page's settings")?;
        let members = self
            .access
            .users()
            .await?
            .into_iter()
            .filter(|u| u.pages.iter().any(|p| p == id))
            .map(|u| u.email)
            .collect();
        Ok((page, members))
    }
}
