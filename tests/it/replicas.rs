//! Replicas on one PostgreSQL (issue 24): three `serve` instances on one schema share the orgs
//! of one `sim --orgs` (every org audited once in the first round, each replica some of them),
//! a report stored by one reaches the others by `NOTIFY` well before the minute's safety net,
//! and the orgs of a replica that stops are audited by the others.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use scopewatch::app::App;
use scopewatch::config::Settings;

use crate::many_orgs::spawn_many;

const ORGS: usize = 12;
const REPLICAS: [&str; 3] = ["replica-a", "replica-b", "replica-c"];

/// One running replica: its base URL and what stops it.
struct Replica {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Replica {
    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

async fn build(name: &str, orgs_file: &std::path::Path, database: &str) -> App {
    let env: BTreeMap<String, String> = [
        ("SCOPEWATCH_ORGS_FILE", orgs_file.display().to_string()),
        ("SCOPEWATCH_LISTEN", "127.0.0.1:0".into()),
        ("SCOPEWATCH_DATABASE_URL", database.to_string()),
        ("SCOPEWATCH_MAX_CONCURRENT_AUDITS", "2".into()),
        ("SCOPEWATCH_REPLICA_ID", name.into()),
        ("SCOPEWATCH_CHANGE_POLL", "0".into()),
        ("SCOPEWATCH_AUDIT_INTERVAL", "1h".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    App::build(Settings::load(&env, None).unwrap(), false)
        .await
        .unwrap()
}

fn run(app: App) -> Replica {
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    Replica {
        base,
        stop: Some(stop),
        server: Some(server),
    }
}

async fn get(http: &reqwest::Client, url: &str) -> serde_json::Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// Every org's stored audits as `(audit_id, replica)`, newest first, read through `base`.
async fn audits(http: &reqwest::Client, base: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut all = BTreeMap::new();
    for i in 1..=ORGS {
        let org = format!("org-{i:04}");
        let listing = get(http, &format!("{base}/orgs/{org}/audits")).await;
        let stored = listing["audits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["outcome"] != "running")
            .map(|a| {
                (
                    a["audit_id"].as_str().unwrap().to_string(),
                    a["replica"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        all.insert(org, stored);
    }
    all
}

/// Waits until `done` holds of the stored audits, or fails after `limit` naming `what`.
async fn wait_for(
    http: &reqwest::Client,
    base: &str,
    limit: Duration,
    what: &str,
    done: impl Fn(&BTreeMap<String, Vec<(String, String)>>) -> bool,
) -> BTreeMap<String, Vec<(String, String)>> {
    let deadline = Instant::now() + limit;
    loop {
        let now = audits(http, base).await;
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "{what}: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
)]
async fn three_replicas_share_the_orgs_push_new_reports_and_take_over_a_stopped_one() {
    let dir = std::env::temp_dir().join(format!("sw-replicas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_sim, file) = spawn_many(ORGS, &dir);
    let database = crate::store::postgres_schema_url(&crate::store::postgres_url()).await;
    // Built one after another (each records its heartbeat), then run together.
    let mut apps = Vec::new();
    for name in REPLICAS {
        apps.push(build(name, &file, &database).await);
    }
    let mut replicas: Vec<Replica> = apps.into_iter().map(run).collect();
    let http = reqwest::Client::new();
    let base = replicas[0].base.clone();

    // The first round: every org audited, by one replica only.
    let first = wait_for(
        &http,
        &base,
        Duration::from_secs(90),
        "a first round",
        |all| all.values().all(|a| !a.is_empty()),
    )
    .await;
    // Late doubles would show up now: queued audits of orgs another replica owns are dropped.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let settled = audits(&http, &base).await;
    assert_eq!(settled, first, "no org audited twice in the round");
    let mut share: BTreeMap<&str, usize> = BTreeMap::new();
    for stored in first.values() {
        assert_eq!(stored.len(), 1, "{first:?}");
        *share.entry(stored[0].1.as_str()).or_default() += 1;
    }
    assert_eq!(
        share.keys().copied().collect::<Vec<_>>(),
        REPLICAS.to_vec(),
        "each replica audits some orgs: {share:?}"
    );

    // A pushed update: an audit replica-b runs reaches replica-a by NOTIFY, well before the
    // safety net's minute.
    let org = "org-0001";
    let started = http
        .post(format!("{}/orgs/{org}/audits", replicas[1].base))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202, "{:?}", started.text().await);
    let audit_id = started.json::<serde_json::Value>().await.unwrap()["audit_id"]
        .as_str()
        .unwrap()
        .to_string();
    let served = |base: String| {
        let http = http.clone();
        async move {
            let report = get(&http, &format!("{base}/orgs/{org}/report")).await;
            report["audit_id"].as_str().unwrap_or("").to_string()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while served(replicas[1].base.clone()).await != audit_id {
        assert!(
            Instant::now() < deadline,
            "replica-b never finished its audit"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stored_at = Instant::now();
    while served(base.clone()).await != audit_id {
        assert!(
            stored_at.elapsed() < Duration::from_secs(5),
            "replica-a did not hear of the new report"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let heard_after = stored_at.elapsed();
    assert!(heard_after < Duration::from_secs(5), "{heard_after:?}");

    // Take-over: replica-c stops; the others audit its orgs.
    let of_c: Vec<String> = first
        .iter()
        .filter(|(_, a)| a[0].1 == "replica-c")
        .map(|(org, _)| org.clone())
        .collect();
    let before = audits(&http, &base).await;
    let stopping = Instant::now();
    replicas[2].stop().await;
    let after = wait_for(
        &http,
        &base,
        Duration::from_secs(60),
        "replica-c's orgs taken over",
        |all| {
            of_c.iter().all(|org| {
                all[org]
                    .first()
                    .is_some_and(|newest| newest.1 != "replica-c")
            })
        },
    )
    .await;
    let took = stopping.elapsed();
    for (org, stored) in &after {
        let more = usize::from(of_c.contains(org));
        assert_eq!(
            stored.len(),
            before[org].len() + more,
            "{org}: only replica-c's orgs are audited again, once: {after:?}"
        );
    }
    assert!(took < Duration::from_secs(30), "{took:?}");
    for replica in &mut replicas[..2] {
        replica.stop().await;
    }
    std::fs::remove_dir_all(&dir).ok();
}
