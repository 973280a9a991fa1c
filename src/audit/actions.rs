//! The action plan: the report's findings grouped into changes a person makes, each with the
//! clients it covers and the risk it removes, the change that removes most first.
//!
//! Each unsuppressed finding belongs to exactly one action. A client with an unused or inactive
//! finding is covered by one action only, deleting it, which makes its other remediations moot;
//! its other findings count towards that action. Every other finding goes to the action its rule
//! (and, for `deprecated-grant`, the client's grant type) names. `risk_removed` is the part of
//! the covered clients' `risk_score` the action's findings carry (each finding weighs its
//! severity's points: CRITICAL 100, HIGH 25, MEDIUM 5, LOW 1), so the actions' `risk_removed`
//! add up to the sum of every client's `risk_score` plus the weight of the unsuppressed
//! org-level findings. An org-level finding (`organization_findings`) is an action of its own
//! that covers no client (`clients` 0, `client_ids` empty).

use std::collections::BTreeMap;

use super::report::{Action, ClientReport, Finding, ThirdPartyAppReport};
use super::rules::{all_meta, rule_meta};
use super::severity::Severity;

/// A change a person makes: its stable id, and its title with `{n}` for the number of clients
/// and `{clients}` for the noun (`client` or `clients`).
struct Kind {
    id: &'static str,
    title: &'static str,
}

const fn kind(id: &'static str, title: &'static str) -> Kind {
    Kind { id, title }
}

const DELETE_UNUSED: Kind = kind(
    "delete-unused-clients",
    "Delete {n} unused {clients} (no request in the usage window)",
);
const DELETE_INACTIVE: Kind = kind(
    "delete-inactive-clients",
    "Delete {n} inactive {clients} that still hold access",
);
const MOVE_TO_PKCE: Kind = kind(
    "move-implicit-to-pkce",
    "Move {n} implicit-grant {clients} to Code Authorization with PKCE",
);
const REPLACE_PASSWORD_GRANT: Kind = kind(
    "replace-password-grant",
    "Move {n} password-grant {clients} to Code Authorization or Client Credentials",
);

/// The rules whose finding means the client is deleted, and the deleting action. Checked in
/// this order; a client has at most one (unused clients are active, inactive ones are not).
const DOMINATING: &[(&str, Kind)] = &[
    ("unused-client", DELETE_UNUSED),
    ("inactive-client-with-access", DELETE_INACTIVE),
];

/// The action of each rule's findings on clients that are not deleted. A rule not listed here
/// (a rule added later) gets an action of its own, named after it and titled with its title.
const BY_RULE: &[(&str, Kind)] = &[
    (
        "client-administers-access",
        kind(
            "review-self-administered-access",
            "Review the access changes {n} {clients} made themselves, and rotate their secrets if unexpected",
        ),
    ),
    (
        "privilege-escalation",
        kind(
            "remove-escalation-access",
            "Remove OAuth and authorization write access from {n} {clients}",
        ),
    ),
    (
        "admin-role",
        kind(
            "remove-admin-role",
            "Replace the admin-level role of {n} client-credentials {clients} with a least-privilege role",
        ),
    ),
    (
        "auditor-over-privileged",
        kind(
            "reduce-auditor-access",
            "Cut scopewatch's own client down to read access",
        ),
    ),
    (
        "high-risk-scope",
        kind(
            "drop-high-risk-scopes",
            "Remove high-risk scopes from {n} {clients}, or use their :readonly forms",
        ),
    ),
    ("public-client-write-scope", MOVE_TO_PKCE),
    (
        "insecure-redirect-uri",
        kind(
            "fix-redirect-uris",
            "Use exact https redirect URIs on {n} {clients}",
        ),
    ),
    (
        "all-divisions",
        kind(
            "limit-divisions",
            "Grant the roles of {n} {clients} in named divisions, not all divisions",
        ),
    ),
    (
        "long-token-lifetime",
        kind(
            "shorten-token-lifetime",
            "Shorten the token lifetime of {n} {clients}",
        ),
    ),
    (
        "orphaned-client",
        kind(
            "find-owners",
            "Find an owner for {n} {clients} whose creator has left",
        ),
    ),
    (
        "unused-permissions",
        kind(
            "apply-least-privilege-role",
            "Give {n} {clients} the suggested least-privilege role instead of their broader roles",
        ),
    ),
    (
        "unused-scopes",
        kind(
            "trim-unused-scopes",
            "Remove the scopes {n} {clients} do not use",
        ),
    ),
    (
        "excessive-scopes",
        kind(
            "trim-write-scopes",
            "Cut the read-write scopes of {n} {clients} to the policy maximum",
        ),
    ),
    (
        "missing-required-scope",
        kind(
            "add-required-scopes",
            "Add the scopes the policy requires to {n} {clients}",
        ),
    ),
    (
        "unknown-scope",
        kind(
            "remove-unknown-scopes",
            "Remove scopes the org does not know from {n} {clients}",
        ),
    ),
    (
        "no-description",
        kind(
            "describe-clients",
            "Describe {n} {clients}: owning team, application and contact",
        ),
    ),
    (
        "recent-privilege-change",
        kind(
            "confirm-recent-changes",
            "Confirm the recent widening of access on {n} {clients}",
        ),
    ),
    (
        "stale-client-secret",
        kind(
            "regenerate-secrets",
            "Regenerate the secret of {n} {clients}",
        ),
    ),
    (
        "org-no-ip-allowlist",
        kind(
            "set-ip-allowlist",
            "Set the organization's IP allowlist to the networks its integrations and people use",
        ),
    ),
    (
        "usage-anomaly",
        kind(
            "investigate-usage-anomalies",
            "Investigate {n} {clients} with anomalous usage, and regenerate their secrets if the calls were not theirs",
        ),
    ),
    (
        "expired-waiver",
        kind(
            "renew-or-fix-waivers",
            "Fix the findings of {n} {clients} whose waiver expired, or renew the waiver",
        ),
    ),
];

/// The action a finding on a client that is not deleted belongs to.
fn action_of(client: &ClientReport, finding: &Finding) -> Key {
    let rule = finding.rule_id.as_ref();
    if rule == "deprecated-grant" {
        match client.grant_type.as_ref() {
            "TOKEN" => return Key::Known(&MOVE_TO_PKCE),
            "PASSWORD" => return Key::Known(&REPLACE_PASSWORD_GRANT),
            _ => {}
        }
    }
    BY_RULE
        .iter()
        .find(|(id, _)| *id == rule)
        .map_or_else(|| Key::Rule(rule.to_string()), |(_, k)| Key::Known(k))
}

/// The action of an org-level finding: its rule's, as for a client's finding.
fn org_action_of(finding: &Finding) -> Key {
    let rule = finding.rule_id.as_ref();
    BY_RULE
        .iter()
        .find(|(id, _)| *id == rule)
        .map_or_else(|| Key::Rule(rule.to_string()), |(_, k)| Key::Known(k))
}

/// Which action: one of the table's, or the own action of a rule the table does not name.
enum Key {
    Known(&'static Kind),
    Rule(String),
}

impl Key {
    fn id(&self) -> &str {
        match self {
            Key::Known(k) => k.id,
            Key::Rule(rule) => rule,
        }
    }

    fn title(&self, n: usize) -> String {
        let noun = if n == 1 { "client" } else { "clients" };
        match self {
            Key::Known(k) => k
                .title
                .replace("{n}", &n.to_string())
                .replace("{clients}", noun),
            Key::Rule(rule) => {
                let title = rule_meta(rule).map_or(rule.as_str(), |m| m.title);
                if n == 0 {
                    format!("{title}: fix it on the organization")
                } else {
                    format!("{title}: fix it on {n} {noun}")
                }
            }
        }
    }
}

/// An action as it is gathered, client by client.
struct Gathered {
    key: Key,
    severity: Severity,
    client_ids: Vec<String>,
    risk_removed: u64,
    rule_ids: Vec<String>,
}

impl Gathered {
    fn add(&mut self, client: &ClientReport, finding: &Finding) {
        if self.client_ids.last() != Some(&client.client_id) {
            self.client_ids.push(client.client_id.clone());
        }
        self.severity = self.severity.max(finding.severity);
        self.risk_removed += u64::from(finding.severity.weight());
        if !self.rule_ids.iter().any(|r| r == finding.rule_id.as_ref()) {
            self.rule_ids.push(finding.rule_id.to_string());
        }
    }

    fn into_action(mut self) -> Action {
        // Rule ids in the rule pack's order; ids it no longer has last, by name.
        let position = |id: &str| all_meta().position(|m| m.id == id);
        self.rule_ids
            .sort_by(|a, b| match (position(a), position(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.cmp(b),
            });
        Action {
            id: self.key.id().to_string(),
            title: self.key.title(self.client_ids.len()),
            severity: self.severity,
            clients: self.client_ids.len() as u64,
            client_ids: self.client_ids,
            risk_removed: self.risk_removed,
            rule_ids: self.rule_ids,
        }
    }
}

/// Whether a finding of `rule` means the client is deleted.
pub fn is_deleting_rule(rule: &str) -> bool {
    DOMINATING.iter().any(|(id, _)| *id == rule)
}

/// The action that deletes the client, when one of its unsuppressed findings says it is unused
/// or inactive.
fn dominating(active: &[&Finding]) -> Option<&'static Kind> {
    DOMINATING
        .iter()
        .find(|(rule, _)| active.iter().any(|f| f.rule_id == *rule))
        .map(|(_, kind)| kind)
}

/// The action plan of the judged clients (in report order: each action lists its clients
/// riskiest first) and of the org-level findings, ranked by `risk_removed`, then severity, then
/// the number of clients, then id.
pub fn plan(clients: &[ClientReport], organization_findings: &[Finding]) -> Vec<Action> {
    let mut gathered: BTreeMap<String, Gathered> = BTreeMap::new();
    for finding in organization_findings.iter().filter(|f| !f.suppressed) {
        let key = org_action_of(finding);
        let entry = gathered
            .entry(key.id().to_string())
            .or_insert_with(|| Gathered {
                key,
                severity: finding.severity,
                client_ids: Vec::new(),
                risk_removed: 0,
                rule_ids: Vec::new(),
            });
        entry.severity = entry.severity.max(finding.severity);
        entry.risk_removed += u64::from(finding.severity.weight());
        if !entry.rule_ids.iter().any(|r| r == finding.rule_id.as_ref()) {
            entry.rule_ids.push(finding.rule_id.to_string());
        }
    }
    for client in clients {
        let active: Vec<&Finding> = client.findings.iter().filter(|f| !f.suppressed).collect();
        let deleting = dominating(&active);
        for finding in &active {
            let key = match deleting {
                Some(kind) => Key::Known(kind),
                None => action_of(client, finding),
            };
            gathered
                .entry(key.id().to_string())
                .or_insert_with(|| Gathered {
                    key,
                    severity: finding.severity,
                    client_ids: Vec::new(),
                    risk_removed: 0,
                    rule_ids: Vec::new(),
                })
                .add(client, finding);
        }
    }
    let mut actions: Vec<Action> = gathered.into_values().map(Gathered::into_action).collect();
    rank(&mut actions);
    actions
}

/// Ranks actions by `risk_removed`, then severity, then the number of clients, then id.
pub fn rank(actions: &mut [Action]) {
    actions.sort_by(|a, b| {
        b.risk_removed
            .cmp(&a.risk_removed)
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| b.clients.cmp(&a.clients))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// The action on the third-party apps with unsuppressed findings (the apps are its clients,
/// most at risk first): revoking them, or cutting their access to what they use. Its
/// `risk_removed` is their findings' points, on top of the org's own clients' risk.
pub fn for_apps(apps: &[ThirdPartyAppReport]) -> Option<Action> {
    let mut action: Option<Action> = None;
    for app in apps {
        for f in app.findings.iter().filter(|f| !f.suppressed) {
            let a = action.get_or_insert_with(|| Action {
                id: "revoke-third-party-apps".into(),
                title: String::new(),
                severity: f.severity,
                client_ids: Vec::new(),
                clients: 0,
                risk_removed: 0,
                rule_ids: Vec::new(),
            });
            // One client may be authorized more than once (by different resource owners).
            if !a.client_ids.contains(&app.client_id) {
                a.client_ids.push(app.client_id.clone());
            }
            a.severity = a.severity.max(f.severity);
            a.risk_removed += u64::from(f.severity.weight());
            if !a.rule_ids.iter().any(|r| r == f.rule_id.as_ref()) {
                a.rule_ids.push(f.rule_id.to_string());
            }
        }
    }
    let mut action = action?;
    let n = action.client_ids.len();
    action.clients = n as u64;
    action.title = format!(
        "Revoke {n} third-party {}, or cut {} scopes and roles to what {} uses",
        if n == 1 { "app" } else { "apps" },
        if n == 1 { "its" } else { "their" },
        if n == 1 { "it" } else { "each" },
    );
    Some(action)
}

/// The one action to take on a client first: deleting it when it is unused or inactive, else
/// the action of its heaviest unsuppressed finding (the first in report order among equals).
pub fn recommended_for<'a>(actions: &'a [Action], client: &ClientReport) -> Option<&'a Action> {
    let active: Vec<&Finding> = client.findings.iter().filter(|f| !f.suppressed).collect();
    let key = match dominating(&active) {
        Some(kind) => Key::Known(kind),
        None => {
            let heaviest = active.iter().rev().max_by_key(|f| f.severity.weight())?;
            action_of(client, heaviest)
        }
    };
    actions.iter().find(|a| a.id == key.id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::report::RiskLevel;
    use chrono::{TimeZone, Utc};

    fn finding(rule: &str, severity: Severity, suppressed: bool) -> Finding {
        Finding {
            rule_id: rule.to_string().into(),
            severity,
            detail: String::new(),
            evidence: vec![],
            suppressed,
            waiver: None,
            first_seen: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            fingerprint: format!("{rule}-fp"),
        }
    }

    /// A client with `findings` as `(rule, severity, suppressed)`, scored as the audit scores.
    fn client(id: &str, grant: &str, findings: &[(&str, Severity, bool)]) -> ClientReport {
        let findings: Vec<Finding> = findings
            .iter()
            .map(|(r, s, sup)| finding(r, *s, *sup))
            .collect();
        let active = || findings.iter().filter(|f| !f.suppressed);
        ClientReport {
            client_id: id.into(),
            client_name: id.into(),
            description: None,
            grant_type: grant.to_string().into(),
            state: "active".into(),
            is_public: grant == "TOKEN",
            scopes: vec![],
            total_scopes: 0,
            flagged_scopes: vec![],
            roles: vec![],
            access_token_validity_seconds: 3600,
            redirect_uris: vec![],
            date_created: None,
            date_modified: None,
            created_by: None,
            date_to_delete: None,
            last_used_date: None,
            usage_evidence: "used".into(),
            risk_level: active()
                .map(|f| RiskLevel::from(f.severity))
                .max()
                .unwrap_or(RiskLevel::None),
            risk_score: active().map(|f| f.severity.weight()).sum(),
            permission_usage: None,
            scope_usage: None,
            trail_evidence: "known".into(),
            changes: vec![],
            actions_performed: vec![],
            unreadable: None,
            findings,
        }
    }

    use Severity::{Critical, High, Low, Medium};

    fn ids(actions: &[Action]) -> Vec<&str> {
        actions.iter().map(|a| a.id.as_str()).collect()
    }

    fn find<'a>(actions: &'a [Action], id: &str) -> &'a Action {
        actions
            .iter()
            .find(|a| a.id == id)
            .unwrap_or_else(|| panic!("no action {id} in {:?}", ids(actions)))
    }

    #[test]
    fn findings_of_one_rule_on_several_clients_make_one_action_covering_them() {
        let clients = [
            client(
                "a",
                "CLIENT-CREDENTIALS",
                &[("admin-role", Critical, false)],
            ),
            client(
                "b",
                "CLIENT-CREDENTIALS",
                &[("admin-role", Critical, false)],
            ),
            client("c", "CLIENT-CREDENTIALS", &[("no-description", Low, false)]),
        ];
        let actions = plan(&clients, &[]);
        assert_eq!(ids(&actions), ["remove-admin-role", "describe-clients"]);
        let admin = &actions[0];
        assert_eq!(admin.client_ids, ["a", "b"]);
        assert_eq!(admin.clients, 2);
        assert_eq!(admin.risk_removed, 200);
        assert_eq!(admin.severity, Critical);
        assert_eq!(admin.rule_ids, ["admin-role"]);
        assert!(
            admin.title.contains("2 client-credentials clients"),
            "{}",
            admin.title
        );
        assert!(
            actions[1].title.contains("1 client:"),
            "{}",
            actions[1].title
        );
    }

    #[test]
    fn deleting_an_unused_client_subsumes_its_other_remediations() {
        let clients = [
            client(
                "unused",
                "CLIENT-CREDENTIALS",
                &[
                    ("admin-role", Critical, false),
                    ("unused-client", Medium, false),
                    ("no-description", Low, false),
                ],
            ),
            client(
                "used",
                "CLIENT-CREDENTIALS",
                &[("admin-role", Critical, false)],
            ),
        ];
        let actions = plan(&clients, &[]);
        let delete = find(&actions, "delete-unused-clients");
        assert_eq!(delete.client_ids, ["unused"]);
        assert_eq!(delete.risk_removed, 106, "the client's whole score");
        assert_eq!(delete.severity, Critical);
        assert_eq!(
            delete.rule_ids,
            ["admin-role", "unused-client", "no-description"]
        );
        assert_eq!(find(&actions, "remove-admin-role").client_ids, ["used"]);
        assert!(
            actions.iter().all(|a| a.id == "delete-unused-clients"
                || !a.client_ids.contains(&"unused".to_string())),
            "the deleted client is in no other action: {actions:?}"
        );
    }

    #[test]
    fn inactive_clients_are_deleted_and_a_waived_unused_finding_deletes_nothing() {
        let clients = [
            client(
                "inactive",
                "CLIENT-CREDENTIALS",
                &[
                    ("inactive-client-with-access", Low, false),
                    ("all-divisions", Medium, false),
                ],
            ),
            client(
                "waived",
                "CLIENT-CREDENTIALS",
                &[
                    ("unused-client", Medium, true),
                    ("all-divisions", Medium, false),
                ],
            ),
        ];
        let actions = plan(&clients, &[]);
        let delete = find(&actions, "delete-inactive-clients");
        assert_eq!(delete.client_ids, ["inactive"]);
        assert_eq!(delete.risk_removed, 6);
        assert_eq!(find(&actions, "limit-divisions").client_ids, ["waived"]);
        assert!(!ids(&actions).contains(&"delete-unused-clients"));
    }

    #[test]
    fn implicit_grant_findings_make_one_move_to_pkce_per_client() {
        let clients = [
            client(
                "spa",
                "TOKEN",
                &[
                    ("public-client-write-scope", High, false),
                    ("deprecated-grant", Medium, false),
                ],
            ),
            client("legacy", "PASSWORD", &[("deprecated-grant", High, false)]),
        ];
        let actions = plan(&clients, &[]);
        let pkce = find(&actions, "move-implicit-to-pkce");
        assert_eq!(pkce.client_ids, ["spa"], "the client once");
        assert_eq!(pkce.risk_removed, 30);
        assert_eq!(
            pkce.rule_ids,
            ["public-client-write-scope", "deprecated-grant"]
        );
        assert_eq!(
            find(&actions, "replace-password-grant").client_ids,
            ["legacy"]
        );
    }

    #[test]
    fn actions_rank_by_risk_removed_and_partition_the_risk_score() {
        // Nine medium findings (45) outrank one high (25); one critical outranks both.
        let mut clients: Vec<ClientReport> = (0..9)
            .map(|i| {
                client(
                    &format!("m{i}"),
                    "CODE",
                    &[("long-token-lifetime", Medium, false)],
                )
            })
            .collect();
        clients.push(client(
            "h",
            "CODE",
            &[("insecure-redirect-uri", High, false)],
        ));
        clients.push(client(
            "c",
            "CODE",
            &[
                ("privilege-escalation", Critical, false),
                ("no-description", Low, true),
            ],
        ));
        let actions = plan(&clients, &[]);
        assert_eq!(
            ids(&actions),
            [
                "remove-escalation-access",
                "shorten-token-lifetime",
                "fix-redirect-uris"
            ]
        );
        let risks: Vec<u64> = actions.iter().map(|a| a.risk_removed).collect();
        assert_eq!(risks, [100, 45, 25]);
        let total: u64 = clients.iter().map(|c| u64::from(c.risk_score)).sum();
        assert_eq!(risks.iter().sum::<u64>(), total);
    }

    #[test]
    fn a_rule_without_a_listed_action_gets_its_own_titled_by_the_rule() {
        let clients = [client("x", "CODE", &[("a-rule-added-later", High, false)])];
        let actions = plan(&clients, &[]);
        assert_eq!(ids(&actions), ["a-rule-added-later"]);
        assert_eq!(actions[0].title, "a-rule-added-later: fix it on 1 client");
        let known = [client("y", "CODE", &[("deprecated-grant", High, false)])];
        let title = &plan(&known, &[])[0].title;
        assert!(
            title.starts_with(rule_meta("deprecated-grant").unwrap().title),
            "{title}"
        );
    }

    #[test]
    fn an_org_level_finding_is_an_action_of_its_own_covering_no_client() {
        let clients = [
            client("a", "CODE", &[("stale-client-secret", Medium, false)]),
            client("b", "CODE", &[("stale-client-secret", Medium, false)]),
        ];
        let org = [
            finding("org-no-ip-allowlist", Medium, false),
            finding("a-rule-added-later", Low, true),
        ];
        let actions = plan(&clients, &org);
        assert_eq!(ids(&actions), ["regenerate-secrets", "set-ip-allowlist"]);
        assert_eq!(actions[0].title, "Regenerate the secret of 2 clients");
        let allowlist = &actions[1];
        assert_eq!(allowlist.clients, 0);
        assert!(allowlist.client_ids.is_empty());
        assert_eq!(allowlist.risk_removed, 5);
        assert_eq!(allowlist.rule_ids, ["org-no-ip-allowlist"]);
        assert!(
            allowlist.title.contains("IP allowlist"),
            "{}",
            allowlist.title
        );
        // A waived org finding makes no action; an unlisted org rule gets its own.
        let other = [finding("a-rule-added-later", High, false)];
        let actions = plan(&[], &other);
        assert_eq!(
            actions[0].title,
            "a-rule-added-later: fix it on the organization"
        );
        assert_eq!(actions[0].risk_removed, 25);
    }

    #[test]
    fn every_listed_rule_is_a_rule_of_the_pack() {
        for (rule, _) in DOMINATING.iter().chain(BY_RULE) {
            assert!(rule_meta(rule).is_some(), "{rule} is not a rule");
        }
    }

    #[test]
    fn a_clients_recommended_action_is_its_deletion_else_its_riskiest() {
        let clients = [
            client(
                "a",
                "CLIENT-CREDENTIALS",
                &[
                    ("admin-role", Critical, false),
                    ("no-description", Low, false),
                ],
            ),
            client(
                "b",
                "CLIENT-CREDENTIALS",
                &[
                    ("unused-client", Medium, false),
                    ("no-description", Low, false),
                ],
            ),
        ];
        let actions = plan(&clients, &[]);
        let recommended = |c: &ClientReport| recommended_for(&actions, c).map(|a| a.id.as_str());
        assert_eq!(recommended(&clients[0]), Some("remove-admin-role"));
        assert_eq!(recommended(&clients[1]), Some("delete-unused-clients"));
        let clean = client("clean", "CODE", &[("no-description", Low, true)]);
        assert_eq!(recommended(&clean), None);
    }

    fn app(id: &str, findings: &[(Severity, bool)]) -> ThirdPartyAppReport {
        ThirdPartyAppReport {
            client_id: id.into(),
            client_name: id.into(),
            grant_type: "CODE".into(),
            state: "Authorized".into(),
            pending: false,
            own_client: false,
            resource_owner_id: None,
            resource_owner_name: None,
            scopes: vec![],
            roles: vec![],
            created_by_id: None,
            created_by_name: None,
            date_created: None,
            risk_level: RiskLevel::None,
            findings: findings
                .iter()
                .map(|(s, sup)| finding("third-party-app-access", *s, *sup))
                .collect(),
        }
    }

    #[test]
    fn third_party_apps_with_findings_make_one_revoke_action_ranked_with_the_rest() {
        assert_eq!(for_apps(&[app("quiet", &[])]), None);
        let apps = [
            app("broad", &[(Severity::High, false)]),
            app("quiet", &[]),
            app("unused", &[(Severity::Medium, false)]),
            app("waived", &[(Severity::High, true)]),
        ];
        let a = for_apps(&apps).expect("two apps with active findings");
        assert_eq!(a.id, "revoke-third-party-apps");
        assert_eq!(a.client_ids, vec!["broad", "unused"]);
        assert_eq!((a.clients, a.risk_removed), (2, 30));
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.rule_ids, vec!["third-party-app-access"]);
        assert!(
            a.title.starts_with("Revoke 2 third-party apps"),
            "{}",
            a.title
        );
        let mut actions = plan(
            &[client(
                "c",
                "CODE",
                &[("no-description", Severity::Low, false)],
            )],
            &[],
        );
        actions.push(a);
        rank(&mut actions);
        assert_eq!(actions[0].id, "revoke-third-party-apps");
    }
}
