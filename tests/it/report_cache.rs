//! `SCOPEWATCH_REPORT_CACHE_MB`: reports stay in memory only for the orgs served most, within a
//! byte budget; the others are read from the database when asked for, the whole JSON as the
//! stored gzip.

use std::collections::BTreeMap;
use std::io::Read;

use scopewatch::app::App;
use scopewatch::config::Settings;
use scopewatch::http::AppState;

use crate::helpers::*;

/// Three orgs of 320 clients (each report about 0.8 MiB as JSON and gzip), one serve
/// with a 1 MiB budget and no schedule: one report fits at a time.
async fn three_orgs_one_report_in_memory() -> (App, Vec<scopewatch_sim::RunningSim>) {
    let mut sims = Vec::new();
    let mut text = String::new();
    for name in ["a", "b", "c"] {
        let sim = start_sim(org(320)).await;
        text.push_str(&format!(
            "[[org]]\nname = \"{name}\"\napi_base_url = \"{0}\"\nlogin_base_url = \"{0}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"ORG_SECRET\"\n\n",
            sim.base_url()
        ));
        sims.push(sim);
    }
    let dir = std::env::temp_dir().join(format!("scopewatch-cache-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("orgs.toml");
    std::fs::write(&file, text).unwrap();
    let env: BTreeMap<String, String> = [
        ("SCOPEWATCH_ORGS_FILE", file.display().to_string()),
        ("ORG_SECRET", SECRET.to_string()),
        ("SCOPEWATCH_LISTEN", "127.0.0.1:0".to_string()),
        ("SCOPEWATCH_DATABASE_URL", temp_database()),
        ("SCOPEWATCH_REPORT_CACHE_MB", "1".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let settings = Settings::load(&env, None).unwrap();
    let app = App::build(settings, false)
        .await
        .unwrap()
        .without_schedule();
    (app, sims)
}

fn resident(state: &AppState, org: &str) -> bool {
    state.org(org).unwrap().cache.is_resident()
}

/// A process-wide gauge (no `org` label).
fn process_gauge(exposition: &str, name: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

fn inflate(gzip: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gzip)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn reports_beyond_the_byte_budget_are_served_from_the_database() {
    let (app, _sims) = three_orgs_one_report_in_memory().await;
    let mut kept = BTreeMap::new();
    for name in ["a", "b", "c"] {
        let cached = app.org_auditor(name).unwrap().run_now().await.unwrap();
        let bytes = cached.kept_bytes();
        assert!(
            (1 << 19..1 << 20).contains(&bytes),
            "{name}: {bytes} bytes: one report must fit the budget, two must not"
        );
        kept.insert(
            name,
            (cached.report.audit_id.clone(), cached.etag.clone(), bytes),
        );
    }
    // Eviction by bytes: only the report kept last is in memory.
    let state = app.state().clone();
    assert!(!resident(&state, "a") && !resident(&state, "b") && resident(&state, "c"));
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder().no_gzip().build().unwrap();
    let get = |path: &str, gzip: bool| {
        let mut request = http.get(format!("{base}{path}"));
        if gzip {
            request = request.header("Accept-Encoding", "gzip");
        }
        request.send()
    };
    let metrics = get("/metrics", false).await.unwrap().text().await.unwrap();
    assert_eq!(
        process_gauge(&metrics, "scopewatch_report_cache_bytes"),
        Some(kept["c"].2 as f64)
    );
    assert_eq!(
        process_gauge(&metrics, "scopewatch_report_cache_reports"),
        Some(1.0)
    );
    assert_eq!(
        process_gauge(&metrics, "scopewatch_report_cache_capacity_bytes"),
        Some((1 << 20) as f64)
    );

    // /orgs lists every org's summary without reading any report back.
    let orgs = json(get("/orgs", false).await.unwrap()).await;
    let listed: Vec<&str> = orgs["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["report"]["audit_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [&kept["a"].0, &kept["b"].0, &kept["c"].0]);
    assert!(!resident(&state, "a"));

    // A miss served from the store: the whole JSON is the stored gzip, as stored, with the
    // report's ETag; the report stays out of memory.
    let (a_id, a_etag, _) = &kept["a"];
    let zipped = get("/orgs/a/report", true).await.unwrap();
    assert_eq!(zipped.status(), 200);
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["etag"], a_etag.as_str());
    let gzip = zipped.bytes().await.unwrap();
    let stored = get(&format!("/orgs/a/audits/{a_id}"), true).await.unwrap();
    assert_eq!(stored.headers()["content-encoding"], "gzip");
    assert_eq!(
        gzip,
        stored.bytes().await.unwrap(),
        "the stored gzip, passed through"
    );
    let report: serde_json::Value = serde_json::from_slice(&inflate(&gzip)).unwrap();
    assert_eq!(report["audit_id"], a_id.as_str());
    let plain = get("/orgs/a/report", false).await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap(), inflate(&gzip));
    assert!(!resident(&state, "a"));
    // A 304 needs no report at all.
    let again = http
        .get(format!("{base}/orgs/a/report"))
        .header("If-None-Match", a_etag.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // A view built from the report reads it back and keeps it, dropping the least recently
    // served (c) to stay within the bytes.
    let client = report["clients"][0]["client_id"].as_str().unwrap();
    let one = get(&format!("/orgs/a/clients/{client}"), false)
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    let org_a = state.org("a").unwrap();
    assert!(org_a.cache.is_resident());
    assert!(!state.org("c").unwrap().cache.is_resident());
    assert_eq!(
        org_a.cache.get().await.unwrap().unwrap().report.audit_id,
        *a_id
    );
    let metrics = get("/metrics", false).await.unwrap().text().await.unwrap();
    let lookups = |result: &str| {
        metrics
            .lines()
            .find(|l| {
                l.starts_with(&format!(
                    "scopewatch_report_cache_lookups_total{{result=\"{result}\"}}"
                ))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap()
    };
    // Misses: the two whole-JSON answers and the client's read-back; hits: the audit of
    // each org found no report before it (no lookup), the last get above is one.
    assert_eq!(lookups("miss"), 3, "{metrics}");
    assert!(lookups("hit") >= 1, "{metrics}");
    assert_eq!(
        process_gauge(&metrics, "scopewatch_report_cache_bytes"),
        Some(kept["a"].2 as f64)
    );
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
