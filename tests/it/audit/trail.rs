//! Who did it and what changed, against the simulator: the trail unknown without the audits
//! permission, a client that created another client, a deleted creator, the new report fields.

use genesys_api::models::DomainEntityRef;
use scopewatch::audit::report::{ClientReport, Report, RiskLevel};
use scopewatch_sim::Org;

use super::*;

pub const OPERATOR: &str = "test-operator";
pub const OPERATOR_SECRET: &str = "operator-secret-value-91";

fn by_id<'r>(report: &'r Report, id: &str) -> &'r ClientReport {
    report
        .clients
        .iter()
        .find(|c| c.client_id == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

fn rule_ids(c: &ClientReport) -> Vec<&str> {
    c.findings.iter().map(|f| f.rule_id.as_ref()).collect()
}

/// Creates a client in the simulator as the operator (`POST /api/v2/oauth/clients`), as an
/// integration with `oauth:client:add` would; returns its id.
pub async fn create_client_as_operator(sim: &RunningSim, body: serde_json::Value) -> String {
    let token: serde_json::Value = token_for(sim, OPERATOR, OPERATOR_SECRET)
        .await
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    let created = sim_post_json(sim, &token, "/api/v2/oauth/clients", &body).await;
    assert!(created.status().is_success(), "{}", created.status());
    let created: serde_json::Value = created.json().await.unwrap();
    created["id"].as_str().unwrap().to_string()
}

/// A public (implicit) client with a read-write scope: high risk at once.
pub fn risky_client(name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "description": "created by a test",
        "authorizedGrantType": "TOKEN",
        "registeredRedirectUri": ["https://app.example.com/cb"],
        "scope": ["users", "users:readonly"],
        "accessTokenValiditySeconds": 3600
    })
}

/// The generated org with an operator client that may create clients.
pub fn org_with_operator() -> Org {
    let mut org = generated_org(30, 10);
    org.add_operator(OPERATOR, OPERATOR_SECRET);
    org
}

#[tokio::test]
async fn without_the_audits_permission_the_trail_is_unknown_and_its_rules_stay_silent() {
    let sim = start_sim(org_without_the_audits_permission()).await;
    create_client_as_operator(&sim, risky_client("made by the operator")).await;
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("audit trail unknown") && w.contains("audits:audit:view")),
        "{:?}",
        report.warnings
    );
    assert!(!report.complete);
    for c in &report.clients {
        assert_eq!(c.trail_evidence, "unknown", "{}", c.client_id);
        assert!(c.changes.is_empty() && c.actions_performed.is_empty());
        for rule in ["client-administers-access", "recent-privilege-change"] {
            assert!(!rule_ids(c).contains(&rule), "{}: {rule}", c.client_id);
        }
    }
    // The other evidence needs no permission and is still there.
    assert!(report.organization.is_some());
}

#[tokio::test]
async fn a_client_that_created_another_client_is_critical_with_that_evidence() {
    let sim = start_sim(org_with_operator()).await;
    let created = create_client_as_operator(&sim, risky_client("Shadow integration")).await;
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    let operator = by_id(&report, OPERATOR);
    assert_eq!(operator.risk_level, RiskLevel::Critical);
    let finding = operator
        .findings
        .iter()
        .find(|f| f.rule_id == "client-administers-access")
        .expect("client-administers-access");
    assert!(
        finding
            .evidence
            .iter()
            .any(|e| e.contains("Create") && e.contains("OAuthClient") && e.contains(&created)),
        "{:?}",
        finding.evidence
    );
    assert!(
        operator
            .actions_performed
            .iter()
            .any(|a| a.entity_id.as_deref() == Some(created.as_str())),
        "{:?}",
        operator.actions_performed
    );
    // The new client's own trail says who made it, through which client.
    let new = by_id(&report, &created);
    assert_eq!(new.trail_evidence, "known");
    assert!(
        new.changes
            .iter()
            .any(|ch| ch.client_id.as_deref() == Some(OPERATOR)),
        "{:?}",
        new.changes
    );
    // Nobody else administered access: the auditor is not flagged.
    assert!(!rule_ids(by_id(&report, CLIENT_ID)).contains(&"client-administers-access"));
}

#[tokio::test]
async fn a_deleted_creator_gives_orphaned_client_and_an_active_one_does_not() {
    let mut org = generated_org(20, 10);
    let people: Vec<(String, String)> = org
        .users
        .iter()
        .map(|u| (u.id.clone(), u.state.clone()))
        .collect();
    let gone = people
        .iter()
        .find(|(_, state)| state == "deleted")
        .expect("the generated org has a deleted user")
        .0
        .clone();
    let here = people
        .iter()
        .find(|(_, state)| state == "active")
        .expect("the generated org has an active user")
        .0
        .clone();
    let (first, second) = (
        org.clients[0].client.id.clone(),
        org.clients[1].client.id.clone(),
    );
    org.clients[0].client.created_by = Some(DomainEntityRef {
        id: Some(gone.clone()),
        name: None,
        self_uri: None,
    });
    org.clients[1].client.created_by = Some(DomainEntityRef {
        id: Some(here.clone()),
        name: None,
        self_uri: None,
    });
    let sim = start_sim(org).await;
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    let orphan = by_id(&report, &first);
    let creator = orphan.created_by.as_ref().unwrap();
    assert_eq!(creator.id, gone);
    assert_eq!(creator.state.as_deref(), Some("deleted"));
    assert!(creator.name.is_some(), "the users API names them");
    let finding = orphan
        .findings
        .iter()
        .find(|f| f.rule_id == "orphaned-client")
        .expect("orphaned-client");
    assert!(finding.evidence[0].contains(&gone) && finding.evidence[0].ends_with("now deleted"));
    let owned = by_id(&report, &second);
    assert_eq!(
        owned.created_by.as_ref().unwrap().state.as_deref(),
        Some("active")
    );
    assert!(!rule_ids(owned).contains(&"orphaned-client"));
}

#[tokio::test]
async fn the_report_names_the_organization_and_the_divisions_of_grants() {
    let sim = start_sim(generated_org(40, 10)).await;
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let org = report.organization.as_ref().expect("organization");
    assert!(!org.id.is_empty() && !org.name.is_empty());
    let grants: Vec<_> = report.clients.iter().flat_map(|c| &c.roles).collect();
    assert!(!grants.is_empty());
    for g in grants {
        let name = g.division_name.as_deref().unwrap_or_else(|| {
            panic!(
                "division {} of role {} has no name",
                g.division_id, g.role_id
            )
        });
        assert_ne!(name, g.division_id, "a name, not the id");
    }
    assert!(report.clients.iter().all(|c| c.trail_evidence == "known"));
}

/// The generated org with the operator, its auditor without `audits:audit:view`.
pub fn org_without_the_audits_permission() -> Org {
    let mut org = org_with_operator();
    let auditor_roles: Vec<String> = org
        .clients
        .iter()
        .filter(|c| c.client.id == CLIENT_ID)
        .flat_map(|c| c.client.role_divisions.clone().unwrap_or_default())
        .map(|rd| rd.role_id)
        .collect();
    for role in org
        .roles
        .iter_mut()
        .filter(|r| auditor_roles.contains(&r.id))
    {
        if let Some(policies) = role.permission_policies.as_mut() {
            policies.retain(|p| p.domain != "audits");
        }
    }
    org
}

#[tokio::test]
async fn html_csv_and_sarif_carry_creators_changes_and_division_names() {
    let mut org = org_with_operator();
    let gone = org
        .users
        .iter()
        .find(|u| u.state == "deleted")
        .expect("a deleted user")
        .clone();
    let orphan = org.clients[0].client.id.clone();
    org.clients[0].client.created_by = Some(DomainEntityRef {
        id: Some(gone.id.clone()),
        name: None,
        self_uri: None,
    });
    let sim = start_sim(org).await;
    let created = create_client_as_operator(&sim, risky_client("Made by a machine")).await;
    let app = spawn_app_on(sim, &temp_database(), &[]).await;
    let cached = app.audit().await.unwrap();
    let report = &cached.report;

    // HTML: the client page names the creator and their state, the change and who made it,
    // and the divisions of role grants by name.
    let html = |id: String| {
        let app = &app;
        async move {
            app.get_with(&format!("/clients/{id}"), &[("Accept", "text/html")])
                .await
                .text()
                .await
                .unwrap()
        }
    };
    let page = html(orphan.clone()).await;
    assert!(
        page.contains(&gone.name) && page.contains("(deleted)"),
        "the creator and their state"
    );
    let page = html(created.clone()).await;
    assert!(page.contains("<table id=\"changes\">"), "the changes table");
    assert!(page.contains(&format!("client {OPERATOR}")), "who made it");
    let page = html(OPERATOR.to_string()).await;
    assert!(
        page.contains("<table id=\"actions\">"),
        "what it administered"
    );
    let granted = report
        .clients
        .iter()
        .flat_map(|c| c.roles.iter().map(move |r| (c, r)))
        .find(|(_, r)| r.division_id != "*")
        .expect("a grant in one division");
    let page = html(granted.0.client_id.clone()).await;
    let division_name = granted.1.division_name.clone().expect("named");
    assert!(page.contains(&division_name), "{division_name}");
    let shown = format!(" in {}", granted.1.division_id);
    assert!(
        !page.contains(&shown),
        "the id is not shown for a named division"
    );

    // CSV: creator, their state, the number of changes and of actions performed.
    let csv = app.get("/report?format=csv").await.text().await.unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with(&format!("{orphan},")))
        .unwrap();
    assert!(row.contains(&format!(",{},deleted,", gone.name)), "{row}");
    let row = csv
        .lines()
        .find(|l| l.starts_with(&format!("{OPERATOR},")))
        .unwrap();
    // The last column is `compliance` (quoted when it lists controls); `actions_performed` is
    // the one before it.
    let before_compliance = match row.strip_suffix('"') {
        Some(_) => row.rsplit_once(",\"").unwrap().0,
        None => row.rsplit_once(',').unwrap().0,
    };
    let actions: usize = before_compliance
        .rsplit(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(actions >= 1, "actions_performed counted: {row}");

    // SARIF: the new rules are in the rule list; a finding carries the creator and the org.
    let sarif = scopewatch::render::render(report, scopewatch::render::Format::Sarif);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let rules: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "client-administers-access",
        "orphaned-client",
        "recent-privilege-change",
    ] {
        assert!(rules.contains(&id), "{id}");
    }
    let orphaned = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["ruleId"] == "orphaned-client" && r["properties"]["client_id"] == orphan.as_str()
        })
        .expect("the orphaned-client result");
    assert_eq!(orphaned["properties"]["created_by"]["state"], "deleted");
    assert_eq!(
        sarif["runs"][0]["properties"]["organization"]["id"],
        report.organization.as_ref().unwrap().id.as_str()
    );
}

/// The client never lets Genesys answer the audit results with a download URL (it follows no
/// redirect, so such an answer would fail the trail): every results page asks
/// `allowRedirect=false` and is read by cursor.
#[tokio::test]
async fn every_audit_results_page_is_asked_without_a_redirect() {
    let sim = start_sim(org_with_operator()).await;
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    assert!(
        report.clients.iter().all(|c| c.trail_evidence != "unknown"),
        "the trail was read"
    );
    let results: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v2/audits/") && r.path.ends_with("/results"))
        .map(|r| r.query)
        .collect();
    assert!(!results.is_empty());
    for query in &results {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs
                .iter()
                .filter(|(k, _)| k == "allowRedirect")
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>(),
            ["false"],
            "{query}"
        );
    }
}
