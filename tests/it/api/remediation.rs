//! `GET /clients/{client_id}/remediation.tf` and the snippet on the client page.

use super::*;

fn has_unused_finding(c: &scopewatch::audit::report::ClientReport) -> bool {
    c.findings.iter().any(|f| {
        !f.suppressed && ["unused-permissions", "unused-scopes"].contains(&f.rule_id.as_ref())
    })
}

#[tokio::test]
async fn an_over_granted_client_gets_its_snippet_as_text_and_others_get_404() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let report = &cached.report;
    let over = report
        .clients
        .iter()
        .find(|c| has_unused_finding(c) && c.permission_usage.is_some())
        .expect("the generated org has a client-credentials client with unused permissions");
    let r = app
        .get(&format!("/clients/{}/remediation.tf", over.client_id))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    let text = r.text().await.unwrap();
    assert!(text.starts_with("# scopewatch remediation for OAuth client "));
    assert!(text.contains("resource \"genesyscloud_oauth_client\" \"scopewatch_"));
    assert!(text.contains(&format!("# Audit {} of ", report.audit_id)));

    let fine = report
        .clients
        .iter()
        .find(|c| !has_unused_finding(c))
        .unwrap();
    let r = app
        .get(&format!("/clients/{}/remediation.tf", fine.client_id))
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["code"], "nothing_to_remediate");

    let r = app.get("/clients/no-such-client/remediation.tf").await;
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["code"], "client_not_found");
}

#[tokio::test]
async fn the_client_page_shows_the_snippet_escaped_and_links_the_file() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let over = cached
        .report
        .clients
        .iter()
        .find(|c| has_unused_finding(c))
        .unwrap();
    let page = app
        .get_with(
            &format!("/clients/{}", over.client_id),
            &[("Accept", "text/html")],
        )
        .await
        .text()
        .await
        .unwrap();
    // Relative, so the same page works under /orgs/{org}/clients/... too.
    assert!(page.contains(&format!("href=\"{}/remediation.tf\"", over.client_id)));
    let pre = page.split("<pre id=\"remediation\">").nth(1).unwrap();
    let pre = &pre[..pre.find("</pre>").unwrap()];
    assert!(pre.contains("resource &quot;genesyscloud_oauth_client&quot;"));
    assert!(!pre.contains('<') && !pre.contains('"'));
}
