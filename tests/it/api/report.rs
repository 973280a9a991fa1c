use std::io::Read;

use serde_json::Value;

use super::*;

#[tokio::test]
async fn before_the_first_audit_report_is_503_and_not_ready_then_both_serve() {
    let app = spawn_app().await;
    let r = app.get("/report").await;
    assert_eq!(r.status(), 503);
    assert_eq!(json(r).await["code"], "report_unavailable");
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
    let cached = app.audit().await.unwrap();
    let ready = json(app.get("/readyz").await).await;
    assert_eq!(ready["audit_id"], cached.report.audit_id.as_str());
    let body: Value = json(app.get("/report").await).await;
    assert_eq!(body["summary"]["total_clients"], 81);
    assert_eq!(body["audit_id"], cached.report.audit_id.as_str());
}

#[tokio::test]
async fn etag_gives_304_and_gzip_decodes_to_the_same_json() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let first = app.get("/report").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let length: usize = first.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let plain = first.bytes().await.unwrap();
    // Kept only compressed, the report is inflated as it is sent: the same compact JSON, its
    // length announced, its ETag the digest of these bytes.
    assert_eq!(plain, cached.report.to_json().as_bytes());
    assert_eq!(length, plain.len());
    let digest = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&plain));
    assert_eq!(etag, format!("\"{}\"", &digest[..32]));
    let again = app.get_with("/report", &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let zipped = app
        .get_with("/report", &[("Accept-Encoding", "gzip")])
        .await;
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let compressed = zipped.bytes().await.unwrap();
    assert!(
        compressed.len() * 3 < plain.len(),
        "gzip should shrink the report"
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    // A new audit changes the ETag.
    app.audit().await.unwrap();
    let after = app.get_with("/report", &[("If-None-Match", &etag)]).await;
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn filters_keep_matching_clients_and_reject_bad_values() {
    let app = spawn_app().await;
    app.audit().await.unwrap();
    let high: Value = json(app.get("/report?risk_level=HIGH").await).await;
    let clients = high["clients"].as_array().unwrap();
    assert!(!clients.is_empty());
    assert!(
        clients
            .iter()
            .all(|c| c["risk_level"] == "HIGH" || c["risk_level"] == "CRITICAL")
    );
    assert_eq!(
        clients.len() as u64,
        high["summary"]["high_risk_count"].as_u64().unwrap()
    );
    let cc: Value = json(app.get("/report?grant_type=CLIENT-CREDENTIALS").await).await;
    assert!(
        cc["clients"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["grant_type"] == "CLIENT-CREDENTIALS")
    );
    let rule: Value = json(app.get("/report?rule=all-divisions").await).await;
    let with_rule = rule["clients"].as_array().unwrap();
    assert_eq!(
        with_rule.len() as u64,
        high["summary"]["findings_by_rule"]["all-divisions"]
            .as_u64()
            .unwrap()
    );
    for (query, name) in [
        ("risk_level=SEVERE", "risk_level"),
        ("rule=made-up", "rule"),
        ("format=pdf", "format"),
        ("colour=red", "colour"),
        ("format=%FF", "format"),
    ] {
        let r = app.get(&format!("/report?{query}")).await;
        assert_eq!(r.status(), 400, "{query}");
        let body = json(r).await;
        assert_eq!(body["code"], "invalid_parameter");
        assert!(body["detail"].as_str().unwrap().contains(name), "{body}");
    }
}

#[tokio::test]
async fn csv_has_the_seed_columns_and_a_row_per_client() {
    let app = spawn_app().await;
    app.audit().await.unwrap();
    let r = app.get("/report?format=csv").await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = r.text().await.unwrap();
    assert!(text.starts_with("client_id,client_name,grant_type,is_public,total_scopes,flagged_scopes,risk_level,risk_score,findings,least_privilege,created_by,creator_state,changes,last_change,actions_performed,unreadable,compliance\n"));
    assert_eq!(text.lines().count(), 82);
    let filtered = app
        .get("/report?format=csv&risk_level=CRITICAL")
        .await
        .text()
        .await
        .unwrap();
    assert!(filtered.lines().skip(1).all(|l| l.contains(",CRITICAL,")));
}

#[tokio::test]
async fn ocsf_is_one_compliance_finding_per_finding_of_the_kept_clients() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let r = app.get("/report?format=ocsf").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let events: Vec<Value> = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let findings: Vec<&str> = cached
        .report
        .clients
        .iter()
        .flat_map(|c| c.findings.iter().map(|f| f.fingerprint.as_str()))
        .collect();
    assert_eq!(events.len(), findings.len());
    for (e, fingerprint) in events.iter().zip(&findings) {
        assert_eq!(e["class_uid"], 2003);
        assert_eq!(e["type_uid"], 200_301);
        assert_eq!(e["finding_info"]["uid"], *fingerprint);
    }
    let critical: Vec<Value> = serde_json::from_str(
        &app.get("/report?format=ocsf&risk_level=CRITICAL")
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(!critical.is_empty() && critical.len() < events.len());
    let kept: Vec<&str> = cached
        .report
        .clients
        .iter()
        .filter(|c| c.risk_level == scopewatch::audit::report::RiskLevel::Critical)
        .map(|c| c.client_id.as_str())
        .collect();
    assert!(
        critical
            .iter()
            .all(|e| kept.contains(&e["resources"][0]["uid"].as_str().unwrap()))
    );
}

#[tokio::test]
async fn browsers_get_an_escaped_html_page_with_security_headers() {
    let app = spawn_app().await;
    app.audit().await.unwrap();
    let r = app
        .get_with("/report", &[("Accept", "text/html,application/xhtml+xml")])
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let page = r.text().await.unwrap();
    assert!(!page.contains("<script>"), "a client name was not escaped");
    assert!(
        page.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; &quot;Co&quot;")
    );
    assert!(page.contains("<table id=\"clients\">"));
    let id = &app.sim.org().clients[0].client.id;
    assert!(
        page.contains(&format!("href=\"clients/{id}\"")),
        "relative links"
    );
    let detail = app
        .get_with(&format!("/clients/{id}"), &[("Accept", "text/html")])
        .await
        .text()
        .await
        .unwrap();
    assert!(!detail.contains("<script>") && detail.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn client_detail_has_findings_and_unknown_ids_are_404() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let worst = &cached.report.clients[0];
    let body = json(app.get(&format!("/clients/{}", worst.client_id)).await).await;
    assert_eq!(body["client_id"], worst.client_id.as_str());
    assert_eq!(body["audit_id"], cached.report.audit_id.as_str());
    assert_eq!(
        body["findings"].as_array().unwrap().len(),
        worst.findings.len()
    );
    let f = &body["findings"][0];
    for key in ["rule_id", "severity", "detail", "first_seen", "fingerprint"] {
        assert!(f.get(key).is_some(), "{key}");
    }
    // The report leaves out what is empty, false or null.
    for (key, empty) in [
        ("evidence", serde_json::json!([])),
        ("suppressed", serde_json::json!(false)),
        ("waiver", serde_json::Value::Null),
    ] {
        assert!(f.get(key) != Some(&empty), "{key} written empty");
    }
    // The texts of the rules its findings name come once, beside the findings.
    let rule = &body["rules"][f["rule_id"].as_str().unwrap()];
    assert!(!rule["remediation"].as_str().unwrap().is_empty());
    assert!(!rule["title"].as_str().unwrap().is_empty());
    assert_eq!(
        body["rules"].as_object().unwrap().len(),
        worst
            .findings
            .iter()
            .map(|f| f.rule_id.as_ref())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    let missing = app.get("/clients/no-such-client").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(json(missing).await["code"], "client_not_found");
    let odd = app.get(&format!("/clients/{}", "%F0%28%8C%28")).await;
    assert_eq!(odd.status(), 400);
    let huge = app.get(&format!("/clients/{}", "x".repeat(5000))).await;
    assert_eq!(huge.status(), 404);
    let body = json(huge).await;
    assert!(
        body["detail"].as_str().unwrap().len() < 200,
        "long ids are clipped in errors"
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_given_one_is_kept() {
    let app = spawn_app().await;
    let fresh = app.get("/healthz").await;
    let id = fresh.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let given = app
        .get_with("/healthz", &[("x-request-id", "trace-me-123")])
        .await;
    assert_eq!(given.headers()["x-request-id"], "trace-me-123");
    let missing = app.get("/nope").await;
    assert!(missing.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn unknown_paths_and_methods_are_json_errors() {
    let app = spawn_app().await;
    let r = app.get("/no/such/path").await;
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["code"], "not_found");
    let r = app
        .http
        .delete(format!("{}/report", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(json(r).await["code"], "method_not_allowed");
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirects
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "/ leads to the report");
    assert_eq!(r.headers()["location"], "/report");
}

#[tokio::test]
async fn metrics_match_the_report_and_say_they_are_cached() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    app.get("/healthz").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    let value = |series: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("{series} missing"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let s = &cached.report.summary;
    assert_eq!(
        value("scopewatch_high_risk_clients{org=\"default\"}"),
        s.high_risk_count as f64
    );
    assert_eq!(
        value("scopewatch_public_write_risk_clients{org=\"default\"}"),
        s.public_write_risks_count as f64
    );
    assert_eq!(
        value("scopewatch_clients{org=\"default\",risk_level=\"CRITICAL\"}"),
        s.by_risk_level.critical as f64
    );
    assert_eq!(
        value("scopewatch_clients{org=\"default\",risk_level=\"NONE\"}"),
        s.by_risk_level.none as f64
    );
    assert_eq!(
        value("scopewatch_audit_runs_total{org=\"default\",outcome=\"success\"}"),
        1.0
    );
    assert_eq!(value("scopewatch_last_audit_success{org=\"default\"}"), 1.0);
    assert_eq!(
        value(
            "scopewatch_upstream_requests_total{endpoint=\"/api/v2/oauth/clients\",org=\"default\",status=\"200\"}"
        ),
        1.0
    );
    assert_eq!(value("scopewatch_build_info{version=\"0.1.0\"}"), 1.0);
    let findings: f64 = text
        .lines()
        .filter(|l| l.starts_with("scopewatch_findings{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(findings, s.findings_by_rule.values().sum::<u64>() as f64);
    assert!(text.contains("# HELP scopewatch_high_risk_clients") && text.contains("cached"));
    assert!(
        !text.contains(&app.sim.org().clients[1].client.id),
        "no client id in labels"
    );
    assert!(
        text.contains("scopewatch_http_requests_total{route=\"/healthz\",status=\"200\"} 1"),
        "HTTP requests are counted by route"
    );
}

/// A filtered view is built once per audit, off the async threads, from borrowed clients: the
/// same bytes as filtering a copy of the report, served again from the view cache, gzip too.
#[tokio::test]
async fn filtered_views_are_built_once_and_match_a_filtered_copy() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let first = app.get("/report?risk_level=HIGH").await;
    assert_eq!(first.status(), 200);
    let first = first.bytes().await.unwrap();
    let mut copy = cached.report.clone();
    copy.clients
        .retain(|c| c.risk_level >= scopewatch::audit::report::RiskLevel::High);
    assert_eq!(
        first,
        copy.to_json().as_bytes(),
        "byte-identical to a filtered copy"
    );
    assert_eq!(cached.views.len(), 1);
    let again = app
        .get("/report?risk_level=HIGH")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(again, first);
    let zipped = app
        .get_with("/report?risk_level=HIGH", &[("Accept-Encoding", "gzip")])
        .await;
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&zipped.bytes().await.unwrap()[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, first);
    assert_eq!(cached.views.len(), 1, "served from the one kept view");
    let csv = app.get("/report?format=csv").await.text().await.unwrap();
    assert_eq!(csv.lines().count(), cached.report.clients.len() + 1);
    assert_eq!(cached.views.len(), 2);
}

/// The report is compact JSON wherever it is served (the latest, the stored one, a filtered
/// view) and indented only when asked; both are the same document.
#[tokio::test]
async fn json_is_compact_everywhere_and_pretty_only_when_asked() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let latest = app.get("/report").await.bytes().await.unwrap();
    assert_eq!(latest, cached.report.to_json().as_bytes());
    assert!(!latest.contains(&b'\n'), "compact JSON has no line breaks");
    let stored = app
        .get(&format!("/audits/{}", cached.report.audit_id))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(stored, latest, "the stored report is the served bytes");

    let pretty = app.get("/report?pretty=true").await;
    assert_eq!(pretty.status(), 200);
    let etag = pretty.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(etag, cached.etag, "another representation, another ETag");
    let pretty = pretty.bytes().await.unwrap();
    assert_eq!(pretty, cached.report.to_json_pretty().as_bytes());
    assert!(pretty.starts_with(b"{\n  \"report_version\": 2,\n  \"audit_id\""));
    let as_value = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
    assert_eq!(as_value(&pretty), as_value(&latest));
    assert_eq!(
        app.get("/report?pretty=false").await.bytes().await.unwrap(),
        latest
    );

    let filtered = app
        .get("/report?risk_level=HIGH&pretty=true")
        .await
        .bytes()
        .await
        .unwrap();
    let compact_filtered = app
        .get("/report?risk_level=HIGH")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(filtered.contains(&b'\n') && !compact_filtered.contains(&b'\n'));
    assert_eq!(as_value(&filtered), as_value(&compact_filtered));

    let bad = app.get("/report?pretty=yes").await;
    assert_eq!(bad.status(), 400);
    assert!(
        json(bad).await["detail"]
            .as_str()
            .unwrap()
            .contains("pretty")
    );
}

/// Many clients asking at once for a view not built yet get it built once, not once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_asked_for_by_many_at_once_is_built_once() {
    let app = spawn_app().await;
    let cached = app.audit().await.unwrap();
    let asks = (0..16).map(|_| app.get("/report?grant_type=CLIENT-CREDENTIALS"));
    let bodies = futures_util::future::join_all(asks).await;
    let mut first = None;
    for r in bodies {
        assert_eq!(r.status(), 200);
        let body = r.bytes().await.unwrap();
        assert_eq!(first.get_or_insert_with(|| body.clone()), &body);
    }
    assert_eq!(cached.views.built(), 1, "one build for 16 requests");
    assert_eq!(cached.views.len(), 1);
}

/// What the router answers to `GET /` for these orgs (in process, redirects not followed).
async fn front_page(state: &scopewatch::http::AppState) -> axum::response::Response {
    use tower::ServiceExt;
    let request = axum::http::Request::get("/")
        .body(axum::body::Body::empty())
        .unwrap();
    scopewatch::http::router(state.clone())
        .oneshot(request)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_front_page_is_the_single_orgs_report_or_else_the_list_of_orgs() {
    let app = spawn_app().await;
    let single = front_page(&app.state).await;
    assert_eq!(single.status(), 303);
    assert_eq!(single.headers()["location"], "/report");

    let org = app.state.orgs.values().next().unwrap().clone();
    let mut several = app.state.clone();
    several.orgs = std::sync::Arc::new(
        ["east", "west"]
            .into_iter()
            .map(|name| {
                let mut org = org.clone();
                org.name = name.to_string();
                (org.name.clone(), org)
            })
            .collect(),
    );
    let listed = front_page(&several).await;
    assert_eq!(listed.status(), 200);
    let body = axum::body::to_bytes(listed.into_body(), 1 << 20)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    let names: Vec<&str> = body["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["east", "west"]);
}
