//! A fixture org where every rule fires on some client and not on others, with an active and an
//! expired waiver and a required scope; its report is checked field by field.

use std::collections::BTreeMap;
use std::sync::Arc;

use genesys_api::models::{OAuthClient, PermissionPolicy, Role, RoleDivision, UsageRow};
use scopewatch::audit::policy::AuditPolicy;
use scopewatch::audit::report::{ClientReport, Report, RiskLevel};
use scopewatch::audit::rules::Severity;
use scopewatch::render::terraform::{client_snippet, to_terraform};
use scopewatch_sim::SimClient;
use scopewatch_sim::{Org, SimSettings};

use super::*;

fn role(id: &str, name: &str, permissions: &[&str], policies: &[(&str, &str, &[&str])]) -> Role {
    Role {
        id: id.into(),
        name: name.into(),
        description: None,
        default_role_id: None,
        permissions: Some(permissions.iter().map(|s| s.to_string()).collect()),
        permission_policies: Some(
            policies
                .iter()
                .map(|(d, e, a)| PermissionPolicy {
                    domain: d.to_string(),
                    entity_name: e.to_string(),
                    policy_name: None,
                    action_set: a.iter().map(|s| s.to_string()).collect(),
                    allow_conditions: None,
                    named_resources: None,
                    resource_condition_node: None,
                })
                .collect(),
        ),
        user_count: None,
        default: None,
        base: None,
        self_uri: None,
    }
}

struct Spec<'a> {
    id: &'a str,
    name: &'a str,
    grant: &'a str,
    state: &'a str,
    description: Option<&'a str>,
    scopes: &'a [&'a str],
    roles: &'a [(&'a str, &'a str)],
    redirects: &'a [&'a str],
    validity: Option<i64>,
    used_days_ago: Option<i64>,
    /// Created this many days ago; `None`: on 2023-05-01, an old secret never regenerated.
    created_days_ago: Option<i64>,
}

const BASE: Spec = Spec {
    id: "",
    name: "",
    grant: "CODE",
    state: "active",
    description: Some("Owned by the fixture team"),
    scopes: &["analytics:readonly"],
    roles: &[],
    redirects: &[],
    validity: Some(3600),
    used_days_ago: Some(3),
    // Younger than max_secret_age (365 days), older than the 90-day usage window.
    created_days_ago: Some(100),
};

fn client(spec: &Spec) -> SimClient {
    SimClient {
        client: OAuthClient {
            id: spec.id.into(),
            name: spec.name.into(),
            access_token_validity_seconds: spec.validity,
            description: spec.description.map(str::to_string),
            registered_redirect_uri: Some(spec.redirects.iter().map(|s| s.to_string()).collect()),
            role_ids: None,
            date_created: Some(match spec.created_days_ago {
                Some(days) => format!("{}T08:00:00.000Z", days_ago(days)),
                None => "2023-05-01T08:00:00.000Z".into(),
            }),
            date_modified: Some("2024-02-01T08:00:00.000Z".into()),
            created_by: None,
            modified_by: None,
            authorized_grant_type: spec.grant.into(),
            scope: Some(spec.scopes.iter().map(|s| s.to_string()).collect()),
            role_divisions: Some(
                spec.roles
                    .iter()
                    .map(|(r, d)| RoleDivision {
                        role_id: r.to_string(),
                        division_id: Some(d.to_string()),
                    })
                    .collect(),
            ),
            state: Some(spec.state.into()),
            date_to_delete: None,
            self_uri: Some(format!("/api/v2/oauth/clients/{}", spec.id)),
        },
        secret: None,
    }
}

fn usage(id: &str, days: i64) -> UsageRow {
    UsageRow::daily(id, days_ago(days), 10)
}

const GREEDY: [&str; 16] = [
    "alerting",
    "analytics",
    "assistants",
    "coaching",
    "conversations",
    "devices",
    "dialog",
    "fax",
    "greetings",
    "groups",
    "journey",
    "knowledge",
    "learning",
    "messaging",
    "presence",
    "quality",
];

fn fixture_org() -> Org {
    let specs = [
        Spec {
            id: "c-escalate",
            name: "Escalating integration",
            grant: "CLIENT-CREDENTIALS",
            scopes: &[],
            roles: &[("oauth-editor", "d1")],
            ..BASE
        },
        Spec {
            id: "c-admin",
            name: "Admin bot",
            grant: "CLIENT-CREDENTIALS",
            scopes: &[],
            roles: &[("master", "*")],
            created_days_ago: None,
            ..BASE
        },
        Spec {
            id: "c-queue-reader",
            name: "Queue dashboard",
            grant: "CLIENT-CREDENTIALS",
            scopes: &[],
            roles: &[("master", "d1")],
            used_days_ago: None,
            ..BASE
        },
        Spec {
            id: "c-scope-reader",
            name: "Queue viewer app",
            scopes: &["routing"],
            used_days_ago: None,
            ..BASE
        },
        Spec {
            id: "c-widget",
            name: "Browser widget",
            grant: "TOKEN",
            scopes: &["users", "conversations:readonly"],
            redirects: &["https://app.example.com/cb"],
            ..BASE
        },
        Spec {
            id: "c-password",
            name: "Legacy password app",
            grant: "PASSWORD",
            description: None,
            validity: Some(172_800),
            created_days_ago: None,
            ..BASE
        },
        Spec {
            id: "c-redirect",
            name: "Insecure web app",
            redirects: &[
                "http://intranet.example.net/cb",
                "https://*.example.org/cb",
                "http://localhost:8080/cb",
            ],
            ..BASE
        },
        Spec {
            id: "c-unused",
            name: "Forgotten sync",
            used_days_ago: None,
            ..BASE
        },
        Spec {
            id: "c-old-use",
            name: "Once used sync",
            used_days_ago: Some(200),
            ..BASE
        },
        Spec {
            id: "c-greedy",
            name: "Greedy app",
            scopes: &GREEDY,
            ..BASE
        },
        Spec {
            id: "c-terraform",
            name: "Terraform pipeline",
            ..BASE
        },
        Spec {
            id: "c-terraform-ok",
            name: "Terraform exporter",
            scopes: &["analytics:readonly", "oauth:readonly"],
            ..BASE
        },
        Spec {
            id: "c-retired",
            name: "Retired reporter",
            state: "disabled",
            used_days_ago: None,
            ..BASE
        },
        Spec {
            id: "c-typo",
            name: "Typo client",
            scopes: &["analytics:readonly", "admin:oauth:read"],
            ..BASE
        },
        Spec {
            id: "c-waived",
            name: "Waived integration",
            grant: "CLIENT-CREDENTIALS",
            scopes: &[],
            roles: &[("reader", "*")],
            ..BASE
        },
        Spec {
            id: "c-expired",
            name: "Expired waiver integration",
            grant: "CLIENT-CREDENTIALS",
            scopes: &[],
            roles: &[("reader", "*")],
            ..BASE
        },
        Spec {
            id: "c-future",
            name: "Future grant app",
            grant: "DEVICE-CODE",
            ..BASE
        },
        Spec {
            id: "c-clean",
            name: "Clean client",
            ..BASE
        },
    ];
    let mut org = Org {
        organization_id: "org".into(),
        home_division_id: "home".into(),
        clients: specs.iter().map(client).collect(),
        roles: vec![
            role("master", "Master Admin", &["admin"], &[("*", "*", &["*"])]),
            role(
                "oauth-editor",
                "OAuth Editor",
                &[],
                &[("oauth", "client", &["add", "edit", "view"])],
            ),
            role(
                "reader",
                "Reader",
                &[],
                &[("analytics", "conversationDetail", &["view"])],
            ),
        ],
        scopes: scopewatch_sim::SCOPE_CATALOG
            .iter()
            .map(|s| genesys_api::models::OAuthScope {
                id: s.to_string(),
                description: None,
                self_uri: None,
            })
            .collect(),
        usage: specs
            .iter()
            .filter_map(|s| s.used_days_ago.map(|d| usage(s.id, d)))
            .collect(),
        ..Org::default()
    };
    // Endpoint evidence: both only ever read the queue list.
    for id in ["c-queue-reader", "c-scope-reader"] {
        for days in [2, 9] {
            let mut row = usage(id, days);
            row.template_uri = Some("api/v2/routing/queues".into());
            row.http_method = Some("GET".into());
            org.usage.push(row);
        }
    }
    org.ensure_auditor(CLIENT_ID, SECRET);
    org.usage.push(usage(CLIENT_ID, 1));
    org
}

fn fixture_policy() -> AuditPolicy {
    AuditPolicy::parse(&format!(
        r#"
name = "fixture"
[[required_scopes]]
client = "Terraform*"
scopes = ["oauth:readonly"]

[[waivers]]
rule = "all-divisions"
client = "Waived integration"
reason = "reads every division by design"
owner = "platform-team"
expires = {}

[[waivers]]
rule = "all-divisions"
client = "c-expired"
reason = "temporary migration"
owner = "migration-team"
expires = {}
"#,
        days_ago(-30),
        days_ago(1)
    ))
    .unwrap()
}

fn by_id<'r>(report: &'r Report, id: &str) -> &'r ClientReport {
    report
        .clients
        .iter()
        .find(|c| c.client_id == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

/// `(rule, severity, suppressed)` of a client's findings, in report order.
fn rules_of(c: &ClientReport) -> Vec<(&str, Severity, bool)> {
    c.findings
        .iter()
        .map(|f| (f.rule_id.as_ref(), f.severity, f.suppressed))
        .collect()
}

async fn fixture_report() -> (Report, RunningSim) {
    let sim = start_sim_with(fixture_org(), SimSettings::default()).await;
    let report = assess_with(client_config(&sim), &fixture_policy())
        .await
        .expect("the fixture audits");
    (report, sim)
}

#[tokio::test]
async fn every_rule_fires_where_it_should_and_nowhere_else() {
    use Severity::*;
    let (report, _sim) = fixture_report().await;
    let expect: BTreeMap<&str, Vec<(&str, Severity, bool)>> = BTreeMap::from([
        (
            "c-escalate",
            vec![("privilege-escalation", Critical, false)],
        ),
        (
            "c-admin",
            vec![
                ("privilege-escalation", Critical, false),
                ("admin-role", Critical, false),
                ("all-divisions", Medium, false),
                // Created 2023-05-01, no regeneration in the trail: the only old secret.
                ("stale-client-secret", Medium, false),
            ],
        ),
        (
            "c-queue-reader",
            vec![
                ("privilege-escalation", Critical, false),
                ("admin-role", Critical, false),
                ("unused-permissions", Medium, false),
            ],
        ),
        (
            "c-scope-reader",
            vec![
                ("high-risk-scope", High, false),
                ("unused-scopes", Medium, false),
            ],
        ),
        (
            "c-widget",
            vec![
                ("high-risk-scope", High, false),
                ("public-client-write-scope", High, false),
                ("deprecated-grant", Medium, false),
            ],
        ),
        (
            "c-password",
            vec![
                ("deprecated-grant", High, false),
                ("long-token-lifetime", Medium, false),
                ("no-description", Low, false),
            ],
        ),
        ("c-redirect", vec![("insecure-redirect-uri", High, false)]),
        ("c-unused", vec![("unused-client", Medium, false)]),
        ("c-old-use", vec![("unused-client", Medium, false)]),
        ("c-greedy", vec![("excessive-scopes", Medium, false)]),
        (
            "c-terraform",
            vec![("missing-required-scope", Medium, false)],
        ),
        ("c-terraform-ok", vec![]),
        (
            "c-retired",
            vec![("inactive-client-with-access", Low, false)],
        ),
        ("c-typo", vec![("unknown-scope", Low, false)]),
        ("c-waived", vec![("all-divisions", Medium, true)]),
        (
            "c-expired",
            vec![
                ("all-divisions", Medium, false),
                ("expired-waiver", Low, false),
            ],
        ),
        ("c-future", vec![]),
        ("c-clean", vec![]),
        (CLIENT_ID, vec![]),
    ]);
    assert_eq!(report.clients.len(), expect.len());
    for (id, rules) in &expect {
        assert_eq!(&rules_of(by_id(&report, id)), rules, "findings of {id}");
    }
}

#[tokio::test]
async fn a_master_admin_client_that_only_read_queues_is_told_to_keep_routing_queue_view() {
    let (report, _sim) = fixture_report().await;
    let catalog = report.permission_catalog.as_ref().unwrap();
    assert_eq!(
        catalog.source, "live",
        "the simulator serves the API description"
    );
    assert_eq!(catalog.date, Some(chrono::Utc::now().date_naive()));
    let reader = by_id(&report, "c-queue-reader");
    let usage = reader.permission_usage.as_ref().unwrap();
    assert_eq!(usage.used, vec!["routing:queue:view"]);
    assert_eq!(
        serde_json::to_value(&usage.suggested_role).unwrap(),
        serde_json::json!({
            "permission_policies": [{"domain": "routing", "entity_name": "queue", "action_set": ["view"]}],
        }),
        "no flat permission: the empty list is left out"
    );
    assert!(
        usage.granted > 1000,
        "admin holds the whole catalog ({})",
        usage.granted
    );
    assert_eq!(
        usage.unused_count,
        usage.granted - 1,
        "all but routing:queue:view"
    );
    assert!(usage.unused.contains(&"admin".to_string()));
    assert!(usage.unused.contains(&"directory:*:*".to_string()));
    let finding = reader
        .findings
        .iter()
        .find(|f| f.rule_id == "unused-permissions")
        .unwrap();
    assert_eq!(
        finding.detail,
        format!(
            "Used 1 of {} permissions in the last 90 days.",
            usage.granted
        )
    );
    assert!(
        finding
            .evidence
            .contains(&"suggested role: routing:queue:view".to_string())
    );
    // Its Terraform snippet: exactly one policy, routing:queue:view, granted in d1 as today.
    let snippet = client_snippet(&report, reader).unwrap();
    assert_eq!(
        snippet.matches("permission_policies {").count(),
        1,
        "{snippet}"
    );
    assert!(
        snippet.contains(
            "  permission_policies {\n    domain      = \"routing\"\n    entity_name = \"queue\"\n    action_set  = [\"view\"]\n  }\n}\n"
        ),
        "{snippet}"
    );
    assert_eq!(
        snippet
            .matches("resource \"genesyscloud_auth_role\"")
            .count(),
        1
    );
    assert!(snippet.contains(
        "  roles {\n    role_id     = genesyscloud_auth_role.scopewatch_c_queue_reader.id\n    division_id = \"d1\"\n  }\n}\n"
    ));
    let viewer = by_id(&report, "c-scope-reader");
    assert!(viewer.permission_usage.is_none());
    let scopes = viewer.scope_usage.as_ref().unwrap();
    assert_eq!(scopes.suggested_scopes, vec!["routing:readonly"]);
    assert_eq!(scopes.unused, vec!["routing"]);
    let snippet = client_snippet(&report, viewer).unwrap();
    assert!(!snippet.contains("genesyscloud_auth_role"));
    assert!(snippet.contains("  scopes                        = [\"routing:readonly\"]\n}\n"));
    // Only those two have something to remediate.
    let all = to_terraform(&report);
    assert_eq!(
        all.matches("resource \"genesyscloud_oauth_client\"")
            .count(),
        2,
        "{all}"
    );
    assert!(
        by_id(&report, "c-clean").scope_usage.is_none(),
        "no endpoint evidence, no fit"
    );
}

#[tokio::test]
async fn the_fixture_report_fields_are_exact() {
    let (report, sim) = fixture_report().await;
    assert_eq!(report.source.api_base_url, sim.base_url());
    assert_eq!(report.policy.name, "fixture");
    assert_eq!(report.usage_window_days, 90);
    assert!(report.complete && report.warnings.is_empty() && report.errors.is_empty());

    let s = &report.summary;
    assert_eq!(s.total_clients, 19);
    assert_eq!(
        s.high_risk_count, 7,
        "admin, escalate, widget, password, redirect, queue reader, queue viewer"
    );
    assert_eq!(s.public_write_risks_count, 1);
    assert_eq!(
        (
            s.by_risk_level.critical,
            s.by_risk_level.high,
            s.by_risk_level.medium,
            s.by_risk_level.low,
            s.by_risk_level.none
        ),
        (3, 4, 5, 2, 5)
    );
    assert_eq!(s.suppressed_findings, 1);
    assert_eq!(s.findings_by_rule["all-divisions"], 2);
    assert_eq!(s.findings_by_rule["deprecated-grant"], 2);
    assert_eq!(s.findings_by_rule["unused-permissions"], 1);
    assert_eq!(s.findings_by_rule["unused-scopes"], 1);
    assert_eq!(s.findings_by_rule["stale-client-secret"], 1);
    // 25 clients' findings and the org's empty IP allowlist.
    assert_eq!(s.findings_by_rule["org-no-ip-allowlist"], 1);
    assert_eq!(s.findings_by_rule.values().sum::<u64>(), 26);

    // Sorted by score, then name: the three criticals first, equal scores by name.
    assert_eq!(report.clients[0].client_id, "c-admin");
    assert_eq!(
        report.clients[0].risk_score, 210,
        "two criticals, two mediums"
    );
    assert_eq!(report.clients[1].client_id, "c-queue-reader");
    assert_eq!(report.clients[1].risk_score, 205);
    assert_eq!(report.clients[2].client_id, "c-escalate");
    let scores: Vec<u32> = report.clients.iter().map(|c| c.risk_score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));

    let admin = by_id(&report, "c-admin");
    assert_eq!(admin.risk_level, RiskLevel::Critical);
    assert_eq!(admin.roles[0].role_name.as_deref(), Some("Master Admin"));
    assert_eq!(admin.roles[0].division_id, "*");
    assert_eq!(
        admin.findings[1].evidence,
        vec!["role 'Master Admin' (all divisions) has permission admin"]
    );
    let rule = report
        .rule(&admin.findings[1].rule_id)
        .expect("in the catalog");
    assert!(rule.remediation.contains("Roles/Divisions"));

    let widget = by_id(&report, "c-widget");
    assert!(widget.is_public);
    assert_eq!(widget.grant_type, "TOKEN");
    assert_eq!(widget.flagged_scopes, vec!["users"]);
    assert_eq!(widget.total_scopes, 2);
    assert_eq!(widget.usage_evidence, "used");
    assert_eq!(widget.last_used_date, Some(days_ago(3)));

    let redirect = by_id(&report, "c-redirect");
    assert_eq!(
        redirect.findings[0].evidence.len(),
        2,
        "localhost over http is fine"
    );

    let unused = by_id(&report, "c-unused");
    assert_eq!(
        (unused.usage_evidence.as_ref(), unused.last_used_date),
        ("unused", None)
    );
    assert_eq!(
        unused.findings[0].evidence,
        vec![format!(
            "no request since {} (90-day usage window)",
            days_ago(90)
        )]
    );

    let waived = by_id(&report, "c-waived");
    assert_eq!(waived.risk_level, RiskLevel::None);
    let waiver = waived.findings[0].waiver.as_ref().unwrap();
    assert_eq!(
        (waiver.owner.as_str(), waiver.expires),
        ("platform-team", days_ago(-30))
    );

    let expired = by_id(&report, "c-expired");
    assert_eq!(expired.risk_level, RiskLevel::Medium);
    assert!(expired.findings[0].waiver.is_none());
    assert!(expired.findings[1].evidence[0].contains("owner migration-team"));

    let future = by_id(&report, "c-future");
    assert_eq!(
        (future.grant_type.as_ref(), future.risk_level),
        ("DEVICE-CODE", RiskLevel::None)
    );

    let password = by_id(&report, "c-password");
    assert_eq!(password.access_token_validity_seconds, 172_800);
    assert_eq!(password.description, None);
    assert_eq!(
        password.date_created.unwrap().to_rfc3339(),
        "2023-05-01T08:00:00+00:00"
    );

    let json = report.to_json();
    assert_no_secret(&json);
    for key in [
        "\"audit_id\"",
        "\"by_risk_level\"",
        "\"CRITICAL\"",
        "\"first_seen\"",
        "\"usage_evidence\"",
        "\"public_write_risks_count\"",
    ] {
        assert!(json.contains(key), "{key} missing from the JSON");
    }
}

#[tokio::test]
async fn the_same_audit_gives_byte_identical_json() {
    let sim = start_sim_with(fixture_org(), SimSettings::default()).await;
    let client = GenesysClient::new(client_config(&sim), Arc::new(NoObserver)).unwrap();
    let snapshot = scopewatch::genesys::collect(&client, &|_| {})
        .await
        .unwrap();
    let at = chrono::Utc::now();
    let run = scopewatch::audit::AuditRun {
        audit_id: "a1".into(),
        started_at: at,
        generated_at: at,
        first_seen: &|_| None,
    };
    let a = scopewatch::audit::judge(snapshot.clone(), &fixture_policy(), &run).to_json();
    let b = scopewatch::audit::judge(snapshot, &fixture_policy(), &run).to_json();
    assert_eq!(a, b);
}

#[tokio::test]
async fn an_over_privileged_auditor_is_flagged() {
    let mut org = fixture_org();
    let auditor = org
        .clients
        .iter_mut()
        .find(|c| c.client.id == CLIENT_ID)
        .unwrap();
    auditor
        .client
        .role_divisions
        .as_mut()
        .unwrap()
        .push(RoleDivision {
            role_id: "oauth-editor".into(),
            division_id: Some("home".into()),
        });
    let sim = start_sim_with(org, SimSettings::default()).await;
    let report = assess_with(client_config(&sim), &fixture_policy())
        .await
        .unwrap();
    let rules: Vec<&str> = by_id(&report, CLIENT_ID)
        .findings
        .iter()
        .map(|f| f.rule_id.as_ref())
        .collect();
    assert_eq!(
        rules,
        vec!["privilege-escalation", "auditor-over-privileged"]
    );
}
