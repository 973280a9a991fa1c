//! The action plan over HTTP and the pages a person works from: "Fix first", filters and
//! downloads, history, diff, the client page and the orgs index.

use genesys_api::models::RoleDivision;
use serde_json::Value;

use super::*;

async fn html(app: &TestApp, path: &str) -> String {
    let r = app.get_with(path, &[("Accept", "text/html")]).await;
    assert_eq!(r.status(), 200, "{path}");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'"),
        "{path}"
    );
    r.text().await.unwrap()
}

#[tokio::test]
async fn the_action_plan_is_served_at_actions_and_under_the_orgs_path() {
    let app = spawn_app().await;
    assert_eq!(app.get("/actions").await.status(), 503);
    let cached = app.audit().await.unwrap();
    let plan = json(app.get("/actions").await).await;
    assert_eq!(plan["audit_id"], cached.report.audit_id.as_str());
    let expected = serde_json::to_value(&cached.report.actions).unwrap();
    assert_eq!(plan["actions"], expected);
    let actions = plan["actions"].as_array().unwrap();
    assert!(actions.len() >= 3, "{plan}");
    let risks: Vec<u64> = actions
        .iter()
        .map(|a| a["risk_removed"].as_u64().unwrap())
        .collect();
    assert!(risks.windows(2).all(|w| w[0] >= w[1]), "{risks:?}");
    for a in actions {
        assert_eq!(
            a["clients"].as_u64().unwrap() as usize,
            a["client_ids"].as_array().unwrap().len()
        );
    }
    // Every unsuppressed finding's points are removed by exactly one action.
    let total: u64 = cached
        .report
        .clients
        .iter()
        .map(|c| u64::from(c.risk_score))
        .sum();
    assert_eq!(risks.iter().sum::<u64>(), total);
    let under_org = json(app.get("/orgs/default/actions").await).await;
    assert_eq!(under_org, plan);
}

#[tokio::test]
async fn the_report_page_leads_with_fix_first_and_its_links_keep_the_filter() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let page = html(&app, "/report").await;
    let fix_first = page.find("<h2>Fix first</h2>").expect("Fix first");
    assert!(
        fix_first < page.find("id=\"total\"").unwrap(),
        "before the cards"
    );
    let top = &cached.report.actions[0];
    assert!(page.contains(&format!("id=\"action-{}\"", top.id)));
    assert!(page.contains("high risk (HIGH + CRITICAL)</div>"));
    for link in [
        "href=\"orgs\"",
        "href=\"audits\"",
        "href=\"report?format=csv\"",
        "href=\"report?format=json\"",
    ] {
        assert!(page.contains(link), "{link}");
    }
    // A rule's id with its title beside it.
    assert!(page.contains(
        "<code>privilege-escalation</code> Client can widen its own or anyone&#39;s access"
    ));
    // A filtered page's links keep its filter; its downloads give the same clients.
    let rule = "privilege-escalation";
    let filtered = html(&app, &format!("/report?risk_level=HIGH&rule={rule}")).await;
    let csv_link = format!("report?format=csv&amp;risk_level=HIGH&amp;rule={rule}");
    assert!(
        filtered.contains(&format!("href=\"{csv_link}\"")),
        "{filtered}"
    );
    assert!(filtered.contains(&format!(
        "href=\"report?risk_level=HIGH&amp;rule={rule}&amp;grant_type=CLIENT-CREDENTIALS\""
    )));
    assert!(filtered.contains("<b class=\"chosen\">HIGH and above</b>"));
    let csv = app
        .get(&format!("/{}", csv_link.replace("&amp;", "&")))
        .await
        .text()
        .await
        .unwrap();
    let rows = csv.lines().count() - 1;
    let expected = cached
        .report
        .clients
        .iter()
        .filter(|c| {
            c.findings
                .iter()
                .any(|f| f.rule_id == rule && !f.suppressed)
        })
        .count();
    assert!(
        rows > 0 && rows == expected,
        "{rows} rows, {expected} expected"
    );
    // Under an org's path the way back to the orgs climbs out of it.
    let under = html(&app, "/orgs/default/report").await;
    assert!(under.contains("href=\"../../orgs\""));
}

#[tokio::test]
async fn the_client_page_leads_with_its_recommended_action_and_folds_the_lists() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let with_usage = cached
        .report
        .clients
        .iter()
        .find(|c| c.permission_usage.is_some() && c.risk_score > 0)
        .expect("a client with endpoint evidence");
    let page = html(&app, &format!("/clients/{}", with_usage.client_id)).await;
    let recommended = page
        .find("<h2>Recommended action</h2>")
        .expect("recommended");
    assert!(recommended < page.find("id=\"facts\"").unwrap());
    assert!(recommended < page.find("<h2>Findings</h2>").unwrap());
    let action = cached
        .report
        .actions
        .iter()
        .find(|a| a.client_ids.contains(&with_usage.client_id))
        .unwrap();
    assert!(page.contains("href=\"../report#action-"), "{page}");
    let _ = action;
    // The summary line is shown; the lists are folded.
    let summary = with_usage.least_privilege_summary().unwrap();
    assert!(page.contains(&format!("<span id=\"least-privilege\">{summary}")));
    let details = page.find("<details>").expect("folded lists");
    assert!(page[details..].contains("used: "));
}

#[tokio::test]
async fn the_history_page_lists_audits_and_the_diff_page_shows_new_and_resolved() {
    let url = temp_database();
    let base = org(20);
    let master = base
        .roles
        .iter()
        .find(|r| r.name == "Master Admin")
        .unwrap()
        .id
        .clone();
    let mut first = spawn_app_on(start_sim(base.clone()).await, &url, &[]).await;
    first.audit().await.unwrap();
    first.stop().await.unwrap();
    let mut after = base.clone();
    let mut added = after.clients[3].clone();
    added.client.id = "added-client".into();
    added.client.name = "Added integration".into();
    added.client.authorized_grant_type = "CLIENT-CREDENTIALS".into();
    added.client.role_divisions = Some(vec![RoleDivision {
        role_id: master,
        division_id: Some("*".into()),
    }]);
    after.clients.push(added);
    let second = spawn_app_on(start_sim(after).await, &url, &[]).await;
    let report = second.audit().await.unwrap();
    let id = &report.report.audit_id;

    let history = html(&second, "/audits").await;
    assert_eq!(history.matches("<td>success</td>").count(), 2, "{history}");
    assert!(history.contains(&format!("href=\"audits/{id}/diff\"")));

    let diff: Value = json(second.get(&format!("/audits/{id}/diff")).await).await;
    let page = html(&second, &format!("/audits/{id}/diff")).await;
    let new = diff["counts"]["new"].as_u64().unwrap();
    assert!(new > 0);
    assert!(page.contains(&format!("New findings ({new})")), "{page}");
    let new_table = &page[page.find("<table id=\"new\"").unwrap()..];
    assert!(new_table.contains("href=\"../../clients/added-client\">Added integration</a>"));
    assert!(new_table.contains("<code>admin-role</code>"));

    // The report marks the findings first seen in this audit.
    let report_page = html(&second, "/report").await;
    let row = report_page
        .split("<tr>")
        .find(|r| r.contains("clients/added-client"))
        .unwrap();
    assert!(row.contains("<span class=\"new\">new</span>"), "{row}");
    let unchanged = report_page
        .split("<tr>")
        .find(|r| r.contains(&format!("clients/{}", base.clients[5].client.id)))
        .unwrap();
    assert!(!unchanged.contains("class=\"new\""), "{unchanged}");
}

#[tokio::test]
async fn the_client_page_names_the_divisions_its_evidence_gives_by_id() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let (client, division) = cached
        .report
        .clients
        .iter()
        .find_map(|c| {
            let named = c.roles.iter().find(|r| {
                r.division_name.is_some()
                    && c.findings.iter().any(|f| {
                        f.evidence
                            .iter()
                            .any(|e| e.contains(&format!("division {}", r.division_id)))
                    })
            })?;
            Some((c, named))
        })
        .expect("a client whose evidence names a division by id");
    let page = html(&app, &format!("/clients/{}", client.client_id)).await;
    let findings = &page[page.find("<h2>Findings</h2>").unwrap()..];
    let name = division.division_name.as_deref().unwrap();
    assert!(
        findings.contains(&format!(
            "division &#39;{name}&#39; ({})",
            division.division_id
        )),
        "{findings}"
    );
}

#[tokio::test]
async fn the_trend_chart_has_axes_and_a_legend_once_two_audits_are_stored() {
    let app = spawn_app().await;
    app.audit().await.unwrap();
    app.audit().await.unwrap();
    let page = html(&app, "/report").await;
    let chart = &page[page.find("<svg id=\"trend\"").unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert_eq!(chart.matches("<polyline").count(), 2);
    assert!(chart.contains(">all clients</text>"));
    assert!(chart.contains(">high risk (HIGH + CRITICAL)</text>"));
    assert!(chart.matches("class=\"y-label\"").count() >= 2);
    assert_eq!(chart.matches("class=\"x-label\"").count(), 2);
}

/// `serve --demo`: the simulated org changes once as its second audit reads it, so the diff
/// page after the second audit has findings new and resolved (not an empty page).
#[tokio::test]
async fn the_demo_org_changes_once_so_its_second_audit_has_new_and_resolved_findings() {
    let env: std::collections::BTreeMap<String, String> = [
        ("SCOPEWATCH_LISTEN", "127.0.0.1:0".to_string()),
        ("SCOPEWATCH_DATABASE_URL", temp_database()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let settings = scopewatch::config::Settings::load(&env, None).unwrap();
    let app = scopewatch::app::App::build_with(settings, Some(1))
        .await
        .unwrap()
        .without_schedule();
    let base = format!("http://{}", app.local_addr());
    let auditor = app.auditor();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let first = auditor.run_now().await.unwrap();
    let second = auditor.run_now().await.unwrap();
    let third = auditor.run_now().await.unwrap();
    let diff = scopewatch::audit::diff::diff(&second.report, &first.report);
    assert!(diff.counts.new > 0, "{:?}", diff.counts);
    assert!(diff.counts.resolved > 0, "{:?}", diff.counts);
    assert!(diff.new.iter().any(|e| e.rule_id == "admin-role"));
    assert!(
        diff.resolved
            .iter()
            .any(|e| e.rule_id == "deprecated-grant")
    );
    let again = scopewatch::audit::diff::diff(&third.report, &second.report);
    assert_eq!(
        (again.counts.new, again.counts.resolved),
        (0, 0),
        "the org changes once"
    );
    let id = &second.report.audit_id;
    let page = reqwest::Client::new()
        .get(format!("{base}/audits/{id}/diff"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<table id=\"new\""), "{page}");
    assert!(page.contains("<table id=\"resolved\""), "{page}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
