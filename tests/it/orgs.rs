//! Several organizations from one deployment (`SCOPEWATCH_ORGS_FILE`): each org audits on its own
//! schedule, and one org failing (a wrong secret, a 429 storm) never delays or breaks another;
//! reports, metrics and history stay apart.

use std::collections::BTreeMap;
use std::time::Duration;

use scopewatch::app::App;
use scopewatch::config::Settings;
use scopewatch::store::Store;

use crate::helpers::*;

struct ThreeOrgs {
    base: String,
    http: reqwest::Client,
    database_url: String,
    _sims: Vec<scopewatch_sim::RunningSim>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl ThreeOrgs {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    async fn json(&self, path: &str) -> serde_json::Value {
        self.get(path).await.json().await.unwrap()
    }

    /// Waits (bounded) until `path` answers 200.
    async fn until_ok(&self, path: &str, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.get(path).await.status() == 200 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

/// `good` answers; `wrong` is given a wrong secret; `storm` answers every call 429 with a
/// 30 s Retry-After for the next minute. Each org is its own simulator (its own API host).
async fn three_orgs() -> ThreeOrgs {
    let good = start_sim(org(12)).await;
    let wrong = start_sim(org(7)).await;
    let storm = start_sim(org(9)).await;
    storm
        .faults()
        .rate_limit_storm_until(chrono::Utc::now() + chrono::Duration::seconds(60), 30);
    let entries = [
        ("good", &good, "GOOD_SECRET"),
        ("wrong", &wrong, "WRONG_SECRET"),
        ("storm", &storm, "GOOD_SECRET"),
    ];
    let (base, database_url, stop, server) = serve_orgs(&entries).await;
    ThreeOrgs {
        base,
        http: reqwest::Client::new(),
        database_url,
        _sims: vec![good, wrong, storm],
        stop: Some(stop),
        server,
    }
}

type Served = (
    String,
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
);

/// Serves `(name, simulator, secret variable)` orgs from one orgs file, the schedule on: its
/// base URL, database, stop switch and server task.
async fn serve_orgs(orgs: &[(&str, &scopewatch_sim::RunningSim, &str)]) -> Served {
    let dir = std::env::temp_dir().join(format!("scopewatch-orgs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!(
        "orgs-{}.toml",
        orgs[0].1.base_url().replace([':', '/'], "_")
    ));
    let text: String = orgs
        .iter()
        .map(|(name, sim, secret_var)| {
            format!(
                "[[org]]\nname = \"{name}\"\napi_base_url = \"{0}\"\nlogin_base_url = \"{0}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"{secret_var}\"\n\n",
                sim.base_url()
            )
        })
        .collect();
    std::fs::write(&file, text).unwrap();
    let database_url = temp_database();
    let env: BTreeMap<String, String> = [
        ("SCOPEWATCH_ORGS_FILE", file.display().to_string()),
        ("GOOD_SECRET", SECRET.to_string()),
        ("WRONG_SECRET", "not-the-secret".to_string()),
        ("SCOPEWATCH_LISTEN", "127.0.0.1:0".to_string()),
        ("SCOPEWATCH_DATABASE_URL", database_url.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let settings = Settings::load(&env, None).unwrap();
    // With the schedule on: every org audits at start, each on its own task.
    let app = App::build(settings, false).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    (base, database_url, stop, server)
}

/// The HTML index lists the riskiest org first, with its CRITICAL and HIGH counts and the name
/// Genesys gives it.
#[tokio::test]
async fn the_orgs_page_lists_the_riskiest_org_first_with_its_critical_and_high_counts() {
    let mut quiet_org = org(3);
    quiet_org.organization_name = "Quiet Genesys Org".into();
    // The quiet org restricts its networks; the risky one (as generated) has no IP allowlist.
    quiet_org.ip_allowlist = vec!["203.0.113.0/24".into()];
    let mut risky_org = org(40);
    risky_org.organization_name = "Risky Genesys Org".into();
    let quiet = start_sim(quiet_org).await;
    let risky = start_sim(risky_org).await;
    // Named so that the order by name is the opposite of the order by risk.
    let (base, _db, stop, server) = serve_orgs(&[
        ("a-quiet", &quiet, "GOOD_SECRET"),
        ("b-risky", &risky, "GOOD_SECRET"),
    ])
    .await;
    let mut orgs = ThreeOrgs {
        base,
        http: reqwest::Client::new(),
        database_url: String::new(),
        _sims: vec![quiet, risky],
        stop: Some(stop),
        server,
    };
    for name in ["a-quiet", "b-risky"] {
        assert!(
            orgs.until_ok(&format!("/orgs/{name}/report"), Duration::from_secs(20))
                .await
        );
    }
    let counts = |name: &str| {
        let name = name.to_string();
        let orgs = &orgs;
        async move {
            let r = orgs.json(&format!("/orgs/{name}/report")).await;
            let l = &r["summary"]["by_risk_level"];
            (l["CRITICAL"].as_u64().unwrap(), l["HIGH"].as_u64().unwrap())
        }
    };
    let (quiet_critical, _) = counts("a-quiet").await;
    let (risky_critical, risky_high) = counts("b-risky").await;
    assert!(
        risky_critical > quiet_critical,
        "the case this test is about"
    );
    let page = orgs
        .http
        .get(format!("{}/orgs", orgs.base))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let risky_row = page.find("href=\"/orgs/b-risky/report\"").unwrap();
    let quiet_row = page.find("href=\"/orgs/a-quiet/report\"").unwrap();
    assert!(risky_row < quiet_row, "riskiest first: {page}");
    let row = page[risky_row..].split("</tr>").next().unwrap();
    assert!(
        row.contains("<td class=\"genesys-name\">Risky Genesys Org</td>"),
        "{row}"
    );
    assert!(
        row.contains(&format!(
            "<td class=\"critical-count\">{risky_critical}</td>"
        )),
        "{row}"
    );
    assert!(
        row.contains(&format!("<td class=\"high-count\">{risky_high}</td>")),
        "{row}"
    );
    assert!(page.contains("<th>CRITICAL</th><th>HIGH</th>"));
    // The org's own findings on its card: the risky org has no IP allowlist, the quiet one has.
    assert!(
        row.contains("<td class=\"org-findings\"><span")
            && row.contains("The org has no IP allowlist</td>"),
        "{row}"
    );
    let quiet_html = page[quiet_row..].split("</tr>").next().unwrap();
    assert!(
        quiet_html.contains("<td class=\"org-findings\">none</td>"),
        "{quiet_html}"
    );
    let listed = orgs.json("/orgs").await;
    let card = |name: &str| {
        listed["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap()["report"]["organization_findings"]
            .clone()
    };
    assert_eq!(card("b-risky")[0]["rule_id"], "org-no-ip-allowlist");
    assert_eq!(card("b-risky")[0]["severity"], "MEDIUM");
    assert_eq!(card("b-risky")[0]["suppressed"], false);
    assert_eq!(card("a-quiet"), serde_json::json!([]));
    let _ = orgs.stop.take().unwrap().send(());
    let _ = tokio::time::timeout(Duration::from_secs(12), &mut orgs.server).await;
}

#[tokio::test]
async fn one_org_with_a_wrong_secret_and_one_in_a_429_storm_never_delay_the_third() {
    let mut app = three_orgs().await;
    assert!(
        app.until_ok("/orgs/good/report", Duration::from_secs(20))
            .await,
        "the good org audits on time while the storm org waits out its Retry-After"
    );
    let good = app.json("/orgs/good/report").await;
    assert_eq!(
        good["summary"]["total_clients"], 13,
        "12 clients and the auditor"
    );

    // The wrong secret fails its own audit, counted under its own label.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut metrics = String::new();
    while tokio::time::Instant::now() < deadline {
        metrics = app.get("/metrics").await.text().await.unwrap();
        if metrics.contains("scopewatch_audit_runs_total{org=\"wrong\",outcome=\"failure\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for line in [
        "scopewatch_last_audit_success{org=\"good\"} 1",
        "scopewatch_last_audit_success{org=\"wrong\"} 0",
        "scopewatch_audit_failures_total{org=\"wrong\",reason=\"credentials\"} 1",
        "scopewatch_audit_runs_total{org=\"storm\",outcome=\"success\"} 0",
        "scopewatch_audit_runs_total{org=\"storm\",outcome=\"failure\"} 0",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    assert!(
        metrics.contains("scopewatch_high_risk_clients{org=\"good\"}")
            && !metrics.contains("scopewatch_high_risk_clients{org=\"wrong\"} 1"),
        "report gauges are per org"
    );

    // Reports stay apart: the others have none to serve, and say so.
    assert_eq!(app.get("/orgs/wrong/report").await.status(), 503);
    assert_eq!(app.get("/orgs/storm/report").await.status(), 503);
    let listed = app.json("/orgs").await;
    let names: Vec<&str> = listed["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["good", "storm", "wrong"]);
    let by_name = |name: &str| {
        listed["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("good")["report"]["audit_id"], good["audit_id"]);
    assert!(by_name("good")["report"]["age_seconds"].as_i64().unwrap() >= 0);
    assert!(by_name("wrong")["report"].is_null());
    assert!(
        by_name("good")["organization"]["name"].is_string(),
        "each org is named as Genesys names it: {}",
        by_name("good")
    );
    assert_eq!(by_name("storm")["links"]["report"], "/orgs/storm/report");

    // History stays apart: the failure is the wrong org's alone. The good report is served
    // before its audit is stored (install, then store): wait for the store.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut good_audits = app.json("/orgs/good/audits").await;
    while good_audits["audits"][0]["outcome"] == "running" && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
        good_audits = app.json("/orgs/good/audits").await;
    }
    let wrong_audits = app.json("/orgs/wrong/audits").await;
    assert_eq!(good_audits["audits"][0]["outcome"], "success");
    assert_eq!(wrong_audits["audits"][0]["outcome"], "failure");
    assert_ne!(
        good_audits["audits"][0]["audit_id"],
        wrong_audits["audits"][0]["audit_id"]
    );
    let stored = Store::connect(&app.database_url, Duration::ZERO)
        .await
        .unwrap();
    let good_id = good["audit_id"].as_str().unwrap();
    assert!(stored.for_org("good").get(good_id).await.unwrap().is_some());
    assert!(
        stored
            .for_org("wrong")
            .get(good_id)
            .await
            .unwrap()
            .is_none()
    );

    // Without an org named default, the single-org routes point at /orgs.
    let single = app.get("/report").await;
    assert_eq!(single.status(), 404);
    let error: serde_json::Value = single.json().await.unwrap();
    assert_eq!(error["code"], "org_required");
    assert!(
        error["detail"]
            .as_str()
            .unwrap()
            .contains("/orgs/{org}/report")
    );
    let unknown = app.get("/orgs/nobody/report").await;
    assert_eq!(unknown.status(), 404);
    let error: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(error["code"], "org_not_found");
    // Ready: one org serves, and the slow and failing ones do not take it out of service; the
    // open endpoint counts orgs and never names them.
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body = ready.text().await.unwrap();
    let why: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(why["orgs"], 3);
    assert_eq!(why["orgs_with_a_report"], 1);
    for name in ["good", "wrong", "storm"] {
        assert!(!body.contains(name), "{body}");
    }

    // An audit started for one org runs for that org, and its Location says where.
    let started = app
        .http
        .post(format!("{}/orgs/good/audits", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let location = started.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/orgs/good/audits/"), "{location}");

    // The HTML index links every org's report.
    let page = app
        .http
        .get(format!("{}/orgs", app.base))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in ["good", "wrong", "storm"] {
        assert!(
            page.contains(&format!("href=\"/orgs/{name}/report\"")),
            "{page}"
        );
    }

    let _ = app.stop.take().unwrap().send(());
    tokio::time::timeout(Duration::from_secs(12), &mut app.server)
        .await
        .expect("shutdown within its grace, a storm org's audit abandoned")
        .unwrap()
        .unwrap();
}

/// With API tokens, an unknown org answers as a known one does to a caller without a token (401):
/// which orgs exist is not told to strangers.
#[tokio::test]
async fn without_a_token_unknown_and_known_orgs_answer_alike() {
    let app = spawn_app_with(org(3), &[("SCOPEWATCH_API_TOKEN", "t0ken-for-orgs")]).await;
    for path in ["/orgs/default/report", "/orgs/nobody/report", "/orgs"] {
        assert_eq!(app.get(path).await.status(), 401, "{path}");
    }
    let with = |path: &str| {
        app.http
            .get(format!("{}{path}", app.base))
            .bearer_auth("t0ken-for-orgs")
            .send()
    };
    let unknown = with("/orgs/nobody/report").await.unwrap();
    assert_eq!(unknown.status(), 404);
    let error: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(error["code"], "org_not_found");
    assert_eq!(with("/orgs/default/audits").await.unwrap().status(), 200);
}

/// Whatever the method and the path under `/orgs/`, a caller without a token gets the same answer
/// for a known org as for an unknown one, and the open `/metrics` does not tell them apart either.
#[tokio::test]
async fn without_a_token_no_method_or_path_tells_a_known_org_from_an_unknown_one() {
    let app = spawn_app_with(org(3), &[("SCOPEWATCH_API_TOKEN", "t0ken-for-orgs")]).await;
    let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
    let paths = [
        "/report",
        "/audits",
        "/audits/x",
        "/audits/x/diff",
        "/clients/x",
        "/clients/x/remediation.tf",
        "/nosuch",
        "/",
        "",
    ];
    let answer = |method: &str, path: String| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let request = app.http.request(method, format!("{}{path}", app.base));
        async move {
            let r = request.send().await.unwrap();
            let challenge = r.headers().get("www-authenticate").cloned();
            (r.status(), challenge, r.bytes().await.unwrap())
        }
    };
    for method in methods {
        for path in paths {
            let known = answer(method, format!("/orgs/default{path}")).await;
            let unknown = answer(method, format!("/orgs/nobody{path}")).await;
            assert_eq!(known, unknown, "{method} /orgs/{{org}}{path}");
            assert_eq!(known.0, 401, "{method} /orgs/{{org}}{path}");
        }
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let refused: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("scopewatch_http_requests_total") && l.contains("/orgs/"))
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
}

/// With a token the org routes answer as before: another method is 405 on a known org, and an
/// unknown org is named as unknown.
#[tokio::test]
async fn with_a_token_a_wrong_method_is_405_and_an_unknown_org_404() {
    let app = spawn_app_with(org(3), &[("SCOPEWATCH_API_TOKEN", "t0ken-for-orgs")]).await;
    let post = |path: &str| {
        app.http
            .post(format!("{}{path}", app.base))
            .bearer_auth("t0ken-for-orgs")
            .send()
    };
    let known = post("/orgs/default/report").await.unwrap();
    assert_eq!(known.status(), 405);
    assert_eq!(json(known).await["code"], "method_not_allowed");
    let unknown = post("/orgs/nobody/report").await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(json(unknown).await["code"], "org_not_found");
}
