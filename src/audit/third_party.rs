//! The report's `third_party_apps`: each app authorized in the org, judged by the app rules.
//! Their findings stay in the app's entry (the app is not one of the org's clients, so it has
//! no client report, risk score or action of its own there); the summary counts them under their
//! rule, as it does the org's own findings.

use std::collections::HashSet;

use super::policy::AuditPolicy;
use super::report::{Finding, RiskLevel, ThirdPartyAppReport};
use super::rules::{APP_RULES, Hit, RuleMeta};
use super::snapshot::{Snapshot, ThirdPartyApp};

/// Makes a finding of an app rule's hit on the app with this client id.
pub(super) type MakeFinding<'a> = dyn Fn(&str, &'static RuleMeta, Hit) -> Finding + 'a;

/// Every app of the snapshot with its findings, most at risk first. The org's own clients
/// (`own_ids`) are listed but not judged: they are not third parties.
pub(super) fn judge(
    snapshot: &Snapshot,
    policy: &AuditPolicy,
    own_ids: &HashSet<&str>,
    finding: &MakeFinding,
) -> Vec<ThirdPartyAppReport> {
    let Some(apps) = &snapshot.third_party_apps else {
        return Vec::new();
    };
    let mut judged: Vec<ThirdPartyAppReport> = apps
        .iter()
        .map(|app| {
            let own = own_ids.contains(app.client_id.as_str());
            let findings: Vec<Finding> = APP_RULES
                .iter()
                .filter(|_| !own)
                .filter(|rule| policy.enabled(rule.meta.id))
                .filter_map(|rule| {
                    let hit = (rule.check)(snapshot, policy, app)?;
                    Some(finding(&app.client_id, &rule.meta, hit))
                })
                .collect();
            entry(app, own, findings)
        })
        .collect();
    judged.sort_by(|a, b| {
        b.risk_level
            .cmp(&a.risk_level)
            .then_with(|| a.client_name.cmp(&b.client_name))
            .then_with(|| a.client_id.cmp(&b.client_id))
    });
    judged
}

fn entry(app: &ThirdPartyApp, own_client: bool, findings: Vec<Finding>) -> ThirdPartyAppReport {
    let risk_level = findings
        .iter()
        .filter(|f| !f.suppressed)
        .map(|f| RiskLevel::from(f.severity))
        .max()
        .unwrap_or(RiskLevel::None);
    ThirdPartyAppReport {
        client_id: app.client_id.clone(),
        client_name: app.client_name.clone(),
        grant_type: app.grant_type.as_str().to_string(),
        state: app.state.as_str().to_string(),
        pending: app.pending,
        own_client,
        resource_owner_id: app.resource_owner.as_ref().map(|o| o.id.clone()),
        resource_owner_name: app.resource_owner.as_ref().and_then(|o| o.name.clone()),
        scopes: app.scopes.clone(),
        roles: app.roles.clone(),
        created_by_id: app.created_by.as_ref().map(|p| p.id.clone()),
        created_by_name: app.created_by.as_ref().and_then(|p| p.name.clone()),
        date_created: app.date_created,
        risk_level,
        findings,
    }
}
