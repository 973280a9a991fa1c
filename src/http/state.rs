//! What the handlers share: each org's piece of the API and what the whole API holds, with the
//! narrow pieces handlers take (`FromRef`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::FromRef;
use secrecy::SecretString;

use super::expensive::Expensive;
use crate::auditor::AuditHandle;
use crate::cache::ReportCache;
use crate::history::History;
use crate::metrics::Metrics;

/// One audited org's piece of the API: its report, clients and history, and the path its routes
/// are served under (`""` for the single-org routes, `/orgs/{name}`).
#[derive(Clone)]
pub struct OrgState {
    pub name: String,
    pub region: String,
    pub cache: Arc<ReportCache>,
    pub history: Arc<History>,
    pub audits: AuditHandle,
    pub prefix: Prefix,
    /// The limit on expensive requests, one for the whole process (every org shares it).
    pub expensive: Arc<Expensive>,
}

/// Where an org's routes live, for the links and `Location` headers they answer with.
#[derive(Clone, Debug, Default)]
pub struct Prefix(pub String);

impl FromRef<OrgState> for Arc<ReportCache> {
    fn from_ref(s: &OrgState) -> Self {
        s.cache.clone()
    }
}

impl FromRef<OrgState> for Arc<History> {
    fn from_ref(s: &OrgState) -> Self {
        s.history.clone()
    }
}

impl FromRef<OrgState> for AuditHandle {
    fn from_ref(s: &OrgState) -> Self {
        s.audits.clone()
    }
}

impl FromRef<OrgState> for Arc<Expensive> {
    fn from_ref(s: &OrgState) -> Self {
        s.expensive.clone()
    }
}

impl FromRef<OrgState> for Prefix {
    fn from_ref(s: &OrgState) -> Self {
        s.prefix.clone()
    }
}

/// What the whole API shares.
#[derive(Clone)]
pub struct AppState {
    /// Every audited org by name: a configured, bounded set.
    pub orgs: Arc<BTreeMap<String, OrgState>>,
    pub metrics: Arc<Metrics>,
    /// Accepted bearer tokens; empty: no authentication.
    pub api_tokens: Arc<Vec<SecretString>>,
}

impl AppState {
    /// The org the single-org routes (`/report`, `/clients/...`, `/audits...`) answer for: the
    /// only one, or with several the one named `default`.
    pub fn single_org(&self) -> Option<&OrgState> {
        if self.orgs.len() == 1 {
            self.orgs.values().next()
        } else {
            self.orgs.get(crate::store::DEFAULT_ORG)
        }
    }

    /// The org named `name`.
    pub fn org(&self, name: &str) -> Option<&OrgState> {
        self.orgs.get(name)
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(s: &AppState) -> Self {
        s.metrics.clone()
    }
}
