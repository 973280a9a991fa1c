use super::*;

const TOKEN: &str = "api-token-for-tests-0123456789";

#[tokio::test]
async fn with_a_token_protected_endpoints_need_it_and_probes_do_not() {
    let app = spawn_app_with(org(20), &[("SCOPEWATCH_API_TOKEN", TOKEN)]).await;
    app.audit().await.unwrap();
    for path in ["/report", "/clients/x", "/audits", "/openapi.yaml"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let body = json(r).await;
        assert_eq!(body["code"], "unauthorized");
        let wrong = app
            .get_with(path, &[("Authorization", "Bearer not-the-token")])
            .await;
        assert_eq!(wrong.status(), 401, "{path}");
    }
    let ok = app
        .get_with("/report", &[("Authorization", &format!("Bearer {TOKEN}"))])
        .await;
    assert_eq!(ok.status(), 200);
    let post = app.post_audit().await;
    assert_eq!(post.status(), 401);
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(!metrics.contains(TOKEN));
}

#[tokio::test]
async fn without_a_token_everything_is_open() {
    let app = spawn_app_with(org(20), &[]).await;
    app.audit().await.unwrap();
    assert_eq!(app.get("/report").await.status(), 200);
    assert_eq!(app.get("/openapi.yaml").await.status(), 200);
}
