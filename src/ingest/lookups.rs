//! What a run reads from the store about its articles before deciding what they do: the
//! stored heads of their canonical URLs and the pages whose domains could own their hosts.
//!
//! A run looks these up in batches while the feed is still being parsed (the parser tells
//! each canonical URL as soon as its article is checked), so the store's work overlaps the
//! parse instead of following it; the plan looks up whatever is left.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use crate::model::{CanonicalUrl, Domain};
use crate::store::{ArticleHead, PageWriter, Store, StoreError};
use crate::validate::InputReport;

/// Where stored heads and page domains are read: the store's pool (while a run parses, and
/// for dry runs, which write nothing) or a page writer, under the page's lock.
pub trait HeadSource {
    /// Stored heads of these canonical URLs (those that exist).
    fn heads(
        &mut self,
        canonicals: &[&str],
    ) -> impl Future<Output = Result<HashMap<String, ArticleHead>, StoreError>> + Send;

    /// `(page id, domain)` of the pages whose domain is one of `hosts` or a parent of one.
    fn domains(
        &mut self,
        hosts: &[String],
    ) -> impl Future<Output = Result<Vec<(String, Domain)>, StoreError>> + Send;
}

impl HeadSource for &Store {
    async fn heads(
        &mut self,
        canonicals: &[&str],
    ) -> Result<HashMap<String, ArticleHead>, StoreError> {
        self.article_heads(canonicals).await
    }

    async fn domains(&mut self, hosts: &[String]) -> Result<Vec<(String, Domain)>, StoreError> {
        self.domains_matching(hosts).await
    }
}

impl HeadSource for PageWriter {
    async fn heads(
        &mut self,
        canonicals: &[&str],
    ) -> Result<HashMap<String, ArticleHead>, StoreError> {
        self.article_heads(canonicals).await
    }

    async fn domains(&mut self, hosts: &[String]) -> Result<Vec<(String, Domain)>, StoreError> {
        self.domains_matching(hosts).await
    }
}

/// Canonical URLs gathered before a batch is looked up: fewer, larger lookups cost the
/// store less than one per article.
pub const BATCH: usize = 64;

/// Stored heads and candidate owning pages, as far as looked up.
#[derive(Debug, Default)]
pub struct Lookups {
    /// Stored heads by canonical URL (only those that exist).
    pub heads: HashMap<String, ArticleHead>,
    /// `(page id, domain)` of every page whose domain is one of the looked-up hosts or a
    /// parent of one.
    pub domains: Vec<(String, Domain)>,
    urls: HashSet<String>,
    hosts: HashSet<String>,
}

impl Lookups {
    /// Which looked-up page owns a canonical host when page domains nest: the longest
    /// matching domain.
    pub fn owner_of(&self, host: &str) -> Option<&str> {
        self.domains
            .iter()
            .filter(|(_, d)| d.matches_host(host))
            .max_by_key(|(_, d)| d.as_str().len())
            .map(|(id, _)| id.as_str())
    }

    /// Forgets the stored heads looked up so far (another writer of the page committed
    /// since): the next [`Lookups::load`] reads them again.
    pub fn forget_heads(&mut self) {
        self.heads.clear();
        self.urls.clear();
    }

    /// Looks up whatever of the report's canonical URLs has not been looked up yet: what
    /// [`plan`](super::update::plan) needs.
    pub async fn load_report(
        &mut self,
        source: &mut impl HeadSource,
        report: &InputReport,
    ) -> Result<(), StoreError> {
        let canonicals = report
            .articles
            .iter()
            .filter_map(|a| a.canonical_url.as_ref());
        self.load(source, canonicals).await
    }

    /// Looks up whatever of `canonicals` has not been looked up yet.
    pub async fn load<'a>(
        &mut self,
        source: &mut impl HeadSource,
        canonicals: impl IntoIterator<Item = &'a CanonicalUrl>,
    ) -> Result<(), StoreError> {
        let mut urls: Vec<&str> = Vec::new();
        let mut hosts: Vec<String> = Vec::new();
        for canonical in canonicals {
            // A URL looked up already had its host looked up with it.
            if self.urls.contains(canonical.as_str()) {
                continue;
            }
            self.urls.insert(canonical.as_str().to_string());
            urls.push(canonical.as_str());
            let host = canonical.host();
            if !self.hosts.contains(&host) {
                self.hosts.insert(host.clone());
                hosts.push(host);
            }
        }
        if !hosts.is_empty() {
            for (id, domain) in source.domains(&hosts).await? {
                if !self.domains.iter().any(|(known, _)| *known == id) {
                    self.domains.push((id, domain));
                }
            }
        }
        if !urls.is_empty() {
            self.heads.extend(source.heads(&urls).await?);
        }
        Ok(())
    }
}
