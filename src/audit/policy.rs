//! The audit policy: rules switched off or re-rated, thresholds, high-risk scope patterns,
//! required scopes per client selector, and waivers. Read from TOML by `policy_file`.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::glob::glob_match;
use super::severity::Severity;
use super::snapshot::Client;

/// Numbers the rules compare against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    pub usage_window_days: u32,
    pub max_token_lifetime_seconds: i64,
    pub max_implicit_token_lifetime_seconds: i64,
    pub max_read_write_scopes: usize,
    /// `unused-permissions` / `unused-scopes` fire above this share (percent) of unused grant.
    pub max_unused_percent: u32,
    /// `recent-privilege-change` looks back this many days.
    pub privilege_change_days: u32,
    /// `stale-client-secret` fires on secrets older than this (`max_secret_age`, default 365d).
    pub max_secret_age: std::time::Duration,
}

/// Scopes every client matched by `client` (an id or a name glob) must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredScopes {
    pub client: String,
    pub scopes: Vec<String>,
}

/// An accepted risk: findings of `rule` on clients matched by `client` (or, with scope
/// `Organization`, the org-level finding of `rule`) are suppressed until `expires` (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub rule: String,
    /// The client selector (an id or a name glob); empty for an org-level waiver.
    pub client: String,
    pub scope: WaiverScope,
    pub reason: String,
    pub owner: String,
    pub expires: NaiveDate,
}

/// What a waiver covers: findings on the clients its selector matches (the default), or the
/// org-level finding of its rule (`scope = "org"` in the policy file).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WaiverScope {
    #[default]
    Clients,
    Organization,
}

impl Waiver {
    /// What the waiver covers, as listings say it: `'selector'` or `the organization`.
    pub fn target(&self) -> String {
        match self.scope {
            WaiverScope::Clients => format!("'{}'", self.client),
            WaiverScope::Organization => "the organization".to_string(),
        }
    }

    /// Whether the waiver covers this client's findings of its rule.
    pub fn covers_client(&self, client: &Client) -> bool {
        self.scope == WaiverScope::Clients && selects(&self.client, client)
    }
}

/// A parsed, validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPolicy {
    pub name: String,
    /// SHA-256 of the policy text, so a report says exactly which policy judged it.
    pub sha256: String,
    pub disabled: Vec<String>,
    pub severities: BTreeMap<String, Severity>,
    pub thresholds: Thresholds,
    pub high_risk_scopes: Vec<String>,
    pub required_scopes: Vec<RequiredScopes>,
    pub waivers: Vec<Waiver>,
    /// The usage-anomaly rule's windows and thresholds (`[usage_anomaly]`).
    pub usage_anomaly: super::anomaly::AnomalyThresholds,
}

/// Whether a selector (client id, or name glob) picks this client.
pub fn selects(selector: &str, client: &Client) -> bool {
    selector == client.id || glob_match(selector, &client.name)
}

impl AuditPolicy {
    pub fn enabled(&self, rule: &str) -> bool {
        !self.disabled.iter().any(|r| r == rule)
    }

    /// The policy's severity for a rule, if it overrides the default.
    pub fn severity(&self, rule: &str) -> Option<Severity> {
        self.severities.get(rule).copied()
    }

    /// The waivers that ended before `today`: they suppress nothing any more.
    pub fn expired_waivers(&self, today: NaiveDate) -> impl Iterator<Item = &Waiver> {
        self.waivers.iter().filter(move |w| w.expires < today)
    }

    /// One warning per waiver whose selector matches none of `clients` (a renamed or deleted
    /// client, or a typo): it waives nothing.
    pub fn unmatched_waivers(&self, clients: &[Client]) -> Vec<String> {
        self.waivers
            .iter()
            .filter(|w| w.scope == WaiverScope::Clients)
            .filter(|w| !clients.iter().any(|c| selects(&w.client, c)))
            .map(|w| {
                format!(
                    "waiver of {} for '{}' (owner {}) matches no client: it waives nothing",
                    w.rule, w.client, w.owner
                )
            })
            .collect()
    }
}
