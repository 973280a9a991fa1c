//! The report: stable snake_case field names, deterministic order.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::severity::Severity;

/// A client's risk: the highest severity of its unsuppressed findings, or `NONE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RiskLevel {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::None => "NONE",
            RiskLevel::Low => "LOW",
            RiskLevel::Medium => "MEDIUM",
            RiskLevel::High => "HIGH",
            RiskLevel::Critical => "CRITICAL",
        }
    }

    pub fn parse(text: &str) -> Option<RiskLevel> {
        match text.to_ascii_uppercase().as_str() {
            "NONE" => Some(RiskLevel::None),
            other => Severity::parse(other).map(RiskLevel::from),
        }
    }
}

impl From<Severity> for RiskLevel {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Low => RiskLevel::Low,
            Severity::Medium => RiskLevel::Medium,
            Severity::High => RiskLevel::High,
            Severity::Critical => RiskLevel::Critical,
        }
    }
}

/// The version of the report's shape this build writes (SPEC §13 fixes it at 2): each rule's
/// texts once, in `rules`. Version 1 (no `report_version`) repeated them in every finding. This
/// build's version 2 also leaves out what is empty, null, false or said elsewhere in the report
/// (`scope_usage.held`, the unused permissions and scopes in the findings' evidence); the version-2
/// reports earlier builds stored wrote them out, and read the same.
pub const REPORT_VERSION: u32 = 2;

fn version_one() -> u32 {
    1
}

/// One audit's report. `C` is how the clients are held: owned (the report), or borrowed from
/// one (a filtered view, serialized without copying a client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report<C = Vec<ClientReport>> {
    /// `REPORT_VERSION`; a stored report without it is version 1 (read by `read_stored`).
    #[serde(default = "version_one")]
    pub report_version: u32,
    pub audit_id: String,
    pub generated_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub complete: bool,
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
    pub source: Source,
    pub policy: PolicyRef,
    pub usage_window_days: u32,
    /// Which permission catalog the least-privilege fits used; absent in older stored reports.
    #[serde(default)]
    pub permission_catalog: Option<CatalogRef>,
    /// The organization audited; absent when it could not be read (and in older reports).
    #[serde(default)]
    pub organization: Option<OrganizationRef>,
    pub summary: Summary,
    /// Each rule the audit ran, once: what the findings' `rule_id` name.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleEntry>,
    /// The action plan, ranked by `risk_removed` (`audit::actions`); absent in older reports.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Findings about the org itself (org-level rules such as `org-no-ip-allowlist`), in the
    /// same shape as a client's; absent in older reports.
    #[serde(default)]
    pub organization_findings: Vec<Finding>,
    /// Apps authorized in the org (`GET /api/v2/oauth/authorizations`), most at risk first, each
    /// with its own findings; empty when none or unknown (a warning says so), absent in older
    /// reports.
    #[serde(default)]
    pub third_party_apps: Vec<ThirdPartyAppReport>,
    pub clients: C,
}

/// An app authorized in the org: usually another org's client (an AppFoundry vendor's, a
/// partner's). Its findings are its own, not a client's of the org; they count in the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThirdPartyAppReport {
    pub client_id: String,
    pub client_name: String,
    pub grant_type: String,
    /// `Authorized`, `Requested`, `Revoked`, `Unauthorized` (or a value Genesys added).
    pub state: String,
    pub pending: bool,
    /// Whether the client is one of the org's own clients (then it is not judged here).
    pub own_client: bool,
    /// The org the authorization belongs to (Genesys's `resourceOwner`), when named.
    pub resource_owner_id: Option<String>,
    pub resource_owner_name: Option<String>,
    pub scopes: Vec<String>,
    /// Role ids of the org named in the authorization.
    pub roles: Vec<String>,
    /// Who authorized it, and when.
    pub created_by_id: Option<String>,
    pub created_by_name: Option<String>,
    pub date_created: Option<DateTime<Utc>>,
    pub risk_level: RiskLevel,
    pub findings: Vec<Finding>,
}

/// A rule as the report says it once: its title, severity under the audit's policy (a finding
/// of a rule whose severity depends on the case carries its own), what it means, what to do,
/// where to read more, and the controls of four frameworks it gives evidence for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleEntry {
    pub title: String,
    pub severity: Severity,
    #[serde(default)]
    pub description: String,
    pub remediation: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub compliance: ComplianceRef,
}

/// Control ids by framework (`docs/compliance.md` says where each mapping comes from).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ComplianceRef {
    pub cis_controls_v8: Vec<String>,
    pub nist_800_53_r5: Vec<String>,
    pub iso_27001_2022: Vec<String>,
    pub soc2: Vec<String>,
}

impl ComplianceRef {
    /// `(framework name, controls)` in a fixed order, frameworks with no control left out.
    pub fn by_framework(&self) -> impl Iterator<Item = (&'static str, &[String])> {
        use super::rules::mappings::FRAMEWORKS;
        [
            (FRAMEWORKS[0], &self.cis_controls_v8),
            (FRAMEWORKS[1], &self.nist_800_53_r5),
            (FRAMEWORKS[2], &self.iso_27001_2022),
            (FRAMEWORKS[3], &self.soc2),
        ]
        .into_iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(name, ids)| (name, ids.as_slice()))
    }

    /// `CIS Controls v8 5.4; NIST SP 800-53 Rev. 5 AC-6, AC-6(5); …` on one line.
    pub fn summary(&self) -> String {
        self.by_framework()
            .map(|(name, ids)| format!("{name} {}", ids.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Every control prefixed by its framework (`NIST SP 800-53 Rev. 5 AC-6`).
    pub fn tags(&self) -> Vec<String> {
        self.by_framework()
            .flat_map(|(name, ids)| ids.iter().map(move |id| format!("{name} {id}")))
            .collect()
    }
}

/// One change a person makes: the clients it covers and the points of their `risk_score` it
/// removes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub id: String,
    pub title: String,
    /// The highest severity among the findings it resolves.
    pub severity: Severity,
    /// The clients it covers, riskiest first.
    pub client_ids: Vec<String>,
    /// How many clients it covers.
    pub clients: u64,
    pub risk_removed: u64,
    /// The rules whose findings it resolves, in rule-pack order.
    pub rule_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub api_base_url: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRef {
    pub name: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ByRiskLevel {
    #[serde(rename = "CRITICAL")]
    pub critical: u64,
    #[serde(rename = "HIGH")]
    pub high: u64,
    #[serde(rename = "MEDIUM")]
    pub medium: u64,
    #[serde(rename = "LOW")]
    pub low: u64,
    #[serde(rename = "NONE")]
    pub none: u64,
}

impl ByRiskLevel {
    pub fn add(&mut self, level: RiskLevel) {
        *self.get_mut(level) += 1;
    }

    pub fn get_mut(&mut self, level: RiskLevel) -> &mut u64 {
        match level {
            RiskLevel::Critical => &mut self.critical,
            RiskLevel::High => &mut self.high,
            RiskLevel::Medium => &mut self.medium,
            RiskLevel::Low => &mut self.low,
            RiskLevel::None => &mut self.none,
        }
    }

    /// `(level, count)` from CRITICAL down to NONE.
    pub fn entries(&self) -> [(RiskLevel, u64); 5] {
        [
            (RiskLevel::Critical, self.critical),
            (RiskLevel::High, self.high),
            (RiskLevel::Medium, self.medium),
            (RiskLevel::Low, self.low),
            (RiskLevel::None, self.none),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub total_clients: u64,
    pub high_risk_count: u64,
    pub public_write_risks_count: u64,
    pub by_risk_level: ByRiskLevel,
    /// Unsuppressed findings per rule id.
    pub findings_by_rule: BTreeMap<String, u64>,
    pub suppressed_findings: u64,
    /// Clients whose records did not parse (counted in `total_clients` and in `NONE`).
    #[serde(default)]
    pub unreadable_clients: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRef {
    pub role_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    pub division_id: String,
    /// The division's name (absent when divisions are unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division_name: Option<String>,
}

/// Who created a client: `state` is `active`, `inactive` or `deleted` (`null` when unknown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedBy {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A person or OAuth client named in the trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One property a change touched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyChangeRef {
    pub property: String,
    pub old_values: Vec<String>,
    pub new_values: Vec<String>,
}

/// A change made to the client (from the audit trail): when, who (a person, through an OAuth
/// client), what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRef {
    pub date: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<PropertyChangeRef>,
}

/// An administrative action the client performed itself (from the audit trail).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRef {
    pub date: DateTime<Utc>,
    pub action: String,
    pub entity_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
}

/// `created_by` as written now (`{id, name, state}`) or by older versions (a name or id).
fn created_by_any_version<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<CreatedBy>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Any {
        Now(CreatedBy),
        Before(String),
    }
    Ok(Option::<Any>::deserialize(d)?.map(|any| match any {
        Any::Now(c) => c,
        Any::Before(text) => CreatedBy {
            id: text.clone(),
            name: Some(text),
            state: None,
        },
    }))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaiverRef {
    pub reason: String,
    pub owner: String,
    pub expires: chrono::NaiveDate,
}

/// One finding: its rule's texts are in the report's `rules`, said once (version 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule pack's own id (borrowed, not copied into each of a large report's findings); a
    /// stored report read back owns it.
    pub rule_id: Cow<'static, str>,
    pub severity: Severity,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub suppressed: bool,
    /// Boxed: few findings are waived, and a report holds hundreds of thousands of findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Box<WaiverRef>>,
    pub first_seen: DateTime<Utc>,
    /// Stable across audits: the client, the rule and the evidence.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientReport {
    pub client_id: String,
    pub client_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The four texts below are borrowed where they are the API's or the report's own names
    /// (no allocation per client); a stored report read back owns them.
    pub grant_type: Cow<'static, str>,
    pub state: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_public: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    pub total_scopes: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flagged_scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleRef>,
    pub access_token_validity_seconds: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_created: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "created_by_any_version",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_by: Option<CreatedBy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_to_delete: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_date: Option<chrono::NaiveDate>,
    /// `used`, `unused` or `unknown`.
    pub usage_evidence: Cow<'static, str>,
    pub risk_level: RiskLevel,
    pub risk_score: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Client credentials with endpoint evidence: the permissions its calls needed. Boxed,
    /// like `scope_usage`: most clients have neither, and a report holds 100 000 clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_usage: Option<Box<PermissionUsage>>,
    /// User grants with endpoint evidence: the scopes its calls needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_usage: Option<Box<ScopeUsage>>,
    /// `known` or `unknown`: whether the audit trail could be read.
    #[serde(default = "unknown")]
    pub trail_evidence: Cow<'static, str>,
    /// Changes made to this client in the trail window, newest first (bounded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeRef>,
    /// Changes this client made itself to OAuth clients and roles, newest first (bounded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions_performed: Vec<ActionRef>,
    /// Set when the client's record in the listing did not parse: why (never its values). Such
    /// a client is not judged: no findings, risk `NONE`, and only its id and name (when the
    /// record had them) are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn unknown() -> Cow<'static, str> {
    "unknown".into()
}

/// `live` (the org's API description, with the day it was read) or `snapshot` (the embedded
/// one, with its source line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogRef {
    pub source: String,
    pub date: Option<chrono::NaiveDate>,
    pub detail: String,
}

/// A permission policy as a role (and the Terraform provider) writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionPolicyRef {
    pub domain: String,
    pub entity_name: String,
    pub action_set: Vec<String>,
}

/// The smallest role covering the calls: permission policies plus flat permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestedRole {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permission_policies: Vec<PermissionPolicyRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
}

/// Permissions needed (`used`), held (`granted`, a count: `admin` holds them all), unused
/// (summarized exactly by domain and entity), endpoints not judged, and the suggested role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionUsage {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub used: Vec<String>,
    pub granted: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unused: Vec<String>,
    pub unused_count: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_endpoints: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unexplained_endpoints: Vec<String>,
    pub suggested_role: SuggestedRole,
    /// Permissions the roles hold only through policies narrowed to some resources, each with
    /// how: `directory:user:edit (named resources: 3)`. They count in `granted` like the rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditional: Vec<String>,
}

/// Scopes needed, held and unused, endpoints not judged, and the suggested scope list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeUsage {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub used: Vec<String>,
    /// The client's `scopes` (sorted, once each): not written by this build, which would say
    /// `scopes` twice; a stored report read back gets it from `scopes` (`catalog::upgrade`).
    #[serde(default, skip_serializing)]
    pub held: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unused: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_endpoints: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unexplained_endpoints: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggested_scopes: Vec<String>,
}

impl ClientReport {
    /// `used N of M permissions` (or scopes), when there is endpoint evidence.
    pub fn least_privilege_summary(&self) -> Option<String> {
        if let Some(p) = &self.permission_usage {
            return Some(format!(
                "used {} of {} permissions",
                p.used.len(),
                p.granted
            ));
        }
        self.scope_usage
            .as_ref()
            .map(|s| format!("used {} of {} scopes", s.used.len(), s.held.len()))
    }

    /// Rule ids of the findings that count (not suppressed by a waiver), in report order.
    pub fn active_rule_ids(&self) -> Vec<&str> {
        self.findings
            .iter()
            .filter(|f| !f.suppressed)
            .map(|f| f.rule_id.as_ref())
            .collect()
    }
}

impl<C: Serialize> Report<C> {
    /// The report as indented JSON, for people (`?pretty=true`, `audit --pretty`).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl<C, T> Report<C>
where
    C: std::ops::Deref<Target = [T]> + Serialize,
    T: Serialize + Sync,
{
    /// The report as compact JSON, as served and stored: the same report always gives the
    /// same bytes (its clients are serialized on every core, in order).
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        match super::report_json::write_compact(&self.header(), &self.clients, &mut out) {
            Ok(()) => String::from_utf8(out).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Writes the JSON (compact, or indented when `pretty`) to `out` as it is serialized, without
    /// holding it in memory.
    pub fn write_json(&self, mut out: impl std::io::Write, pretty: bool) -> std::io::Result<()> {
        if pretty {
            Ok(serde_json::to_writer_pretty(out, self)?)
        } else {
            super::report_json::write_compact(&self.header(), &self.clients, &mut out)
        }
    }
}

impl<C> Report<C> {
    /// The same header (the `summary` still describes the whole audit) with other clients.
    pub fn with_clients<D>(&self, clients: D) -> Report<D> {
        Report {
            audit_id: self.audit_id.clone(),
            generated_at: self.generated_at,
            started_at: self.started_at,
            duration_ms: self.duration_ms,
            complete: self.complete,
            warnings: self.warnings.clone(),
            errors: self.errors.clone(),
            source: self.source.clone(),
            permission_catalog: self.permission_catalog.clone(),
            organization: self.organization.clone(),
            policy: self.policy.clone(),
            usage_window_days: self.usage_window_days,
            summary: self.summary.clone(),
            rules: self.rules.clone(),
            report_version: self.report_version,
            actions: self.actions.clone(),
            organization_findings: self.organization_findings.clone(),
            third_party_apps: self.third_party_apps.clone(),
            clients,
        }
    }

    /// The rule a finding names, from the report's catalog.
    pub fn rule(&self, rule_id: &str) -> Option<&RuleEntry> {
        self.rules.get(rule_id)
    }

    /// The rule's title, or its id when the catalog does not have it.
    pub fn rule_title<'a>(&'a self, rule_id: &'a str) -> &'a str {
        self.rule(rule_id).map_or(rule_id, |r| r.title.as_str())
    }

    /// The header alone: the report with no clients.
    fn header(&self) -> Report<Vec<()>> {
        self.with_clients(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_by_reads_the_object_and_the_name_older_reports_stored() {
        #[derive(Deserialize)]
        struct Holder {
            #[serde(default, deserialize_with = "created_by_any_version")]
            created_by: Option<CreatedBy>,
        }
        let now: Holder =
            serde_json::from_str(r#"{"created_by":{"id":"u1","name":"Ann","state":"deleted"}}"#)
                .unwrap();
        assert_eq!(now.created_by.unwrap().state.as_deref(), Some("deleted"));
        let before: Holder = serde_json::from_str(r#"{"created_by":"Ann"}"#).unwrap();
        assert_eq!(
            before.created_by,
            Some(CreatedBy {
                id: "Ann".into(),
                name: Some("Ann".into()),
                state: None
            })
        );
        let none: Holder = serde_json::from_str(r#"{"created_by":null}"#).unwrap();
        assert_eq!(none.created_by, None);
        let absent: Holder = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.created_by, None);
    }
}
