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

#[cfg(test)]
mod tests {
    use crate::audit::policy::AuditPolicy;
    use crate::audit::report::{Report, RiskLevel};
    use crate::audit::rules::Severity;
    use crate::audit::rules::testkit::{client, judged_at_collection, policy, snapshot};
    use crate::audit::snapshot::{AuthorizationState, GrantType, ThirdPartyApp};

    fn app(id: &str, name: &str, scopes: &[&str]) -> ThirdPartyApp {
        ThirdPartyApp {
            client_id: id.into(),
            client_name: name.into(),
            grant_type: GrantType::Code,
            state: AuthorizationState::Authorized,
            pending: false,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            roles: vec![],
            resource_owner: None,
            created_by: None,
            date_created: None,
        }
    }

    fn judged(apps: Vec<ThirdPartyApp>, policy: &AuditPolicy) -> Report {
        let mut s = snapshot();
        let mut own = client("CODE");
        own.id = "own".into();
        s.clients = vec![own];
        s.third_party_apps = Some(apps);
        judged_at_collection(s, policy, "t")
    }

    #[test]
    fn an_apps_finding_is_new_then_resolved_in_the_diff_and_the_change_counts() {
        let broad = judged(vec![app("broad", "D broad", &["users"])], &policy());
        let revoked = judged(vec![], &policy());
        let apps = |entries: &[crate::audit::diff::DiffEntry]| {
            entries
                .iter()
                .filter(|e| e.scope == Some("third_party_app"))
                .map(|e| (e.rule_id.clone(), e.client_id.clone()))
                .collect::<Vec<_>>()
        };
        let expected = [("third-party-app-access".to_string(), "broad".to_string())];
        assert_eq!(
            apps(&crate::audit::diff::diff(&broad, &revoked).new),
            expected
        );
        assert_eq!(
            apps(&crate::audit::diff::diff(&revoked, &broad).resolved),
            expected
        );
        let before = crate::cache::CachedReport::build(broad);
        let after = crate::cache::CachedReport::build(revoked);
        assert_eq!(after.changes_since(Some(&before)).resolved, 1);
        assert_eq!(before.changes_since(Some(&after)).new, 1);
    }

    #[test]
    fn an_app_authorized_twice_is_one_client_of_the_revoke_action() {
        let mut again = app("broad", "D broad", &["users"]);
        again.resource_owner = Some(crate::audit::snapshot::Named {
            id: "another-owner".into(),
            name: None,
        });
        let report = judged(vec![app("broad", "D broad", &["users"]), again], &policy());
        assert_eq!(report.third_party_apps.len(), 2);
        let revoke = report
            .actions
            .iter()
            .find(|a| a.id == "revoke-third-party-apps")
            .expect("the revoke action");
        assert_eq!(revoke.client_ids, vec!["broad".to_string()]);
        assert_eq!(revoke.clients, 1);
    }

    #[test]
    fn apps_are_listed_most_at_risk_first_and_their_findings_counted_not_given_to_clients() {
        let report = judged(
            vec![
                app("quiet", "A quiet app", &[]),
                app("unused", "B unused", &["users:readonly"]),
                app("own", "C own client", &["users"]),
                app("broad", "D broad", &["users"]),
            ],
            &policy(),
        );
        let order: Vec<(&str, RiskLevel, bool)> = report
            .third_party_apps
            .iter()
            .map(|a| (a.client_id.as_str(), a.risk_level, a.own_client))
            .collect();
        assert_eq!(
            order,
            vec![
                ("broad", RiskLevel::High, false),
                ("unused", RiskLevel::Medium, false),
                ("quiet", RiskLevel::None, false),
                ("own", RiskLevel::None, true),
            ],
            "an authorization of the org's own client is listed, not judged"
        );
        assert_eq!(report.summary.findings_by_rule["third-party-app-access"], 2);
        assert!(
            report
                .clients
                .iter()
                .flat_map(|c| &c.findings)
                .all(|f| f.rule_id != "third-party-app-access")
        );
        let f = &report.third_party_apps[0].findings[0];
        assert_eq!(f.fingerprint.len(), 16);
        assert_eq!(f.first_seen, report.generated_at);
        let revoke = report
            .actions
            .iter()
            .find(|a| a.id == "revoke-third-party-apps")
            .expect("the revoke action");
        assert_eq!(revoke.client_ids, vec!["broad", "unused"]);
    }

    #[test]
    fn the_policy_reweights_or_disables_the_rule_and_unknown_apps_are_none() {
        let mut p = policy();
        p.severities
            .insert("third-party-app-access".into(), Severity::Low);
        let report = judged(vec![app("broad", "broad", &["users"])], &p);
        assert_eq!(
            report.third_party_apps[0].findings[0].severity,
            Severity::Low
        );
        p.disabled.push("third-party-app-access".into());
        let report = judged(vec![app("broad", "broad", &["users"])], &p);
        assert!(report.third_party_apps[0].findings.is_empty());
        assert!(!report.rules.contains_key("third-party-app-access"));
        assert!(
            !report
                .actions
                .iter()
                .any(|a| a.id == "revoke-third-party-apps")
        );

        let mut s = snapshot();
        s.third_party_apps = None;
        assert!(
            judged_at_collection(s, &policy(), "t")
                .third_party_apps
                .is_empty()
        );
    }
}
