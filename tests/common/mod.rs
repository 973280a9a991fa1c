//! Shared by the test binaries that run the service: the app on port 0 against the simulator,
//! audits driven by calling the unit of work.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use scopewatch::app::App;
use scopewatch::cache::CachedReport;
use scopewatch::config::Settings;
use scopewatch::http::AppState;
use scopewatch::scheduler::run_audit;
use scopewatch::sim::{self, Org, OrgSize, RunningSim, SimSettings};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const CLIENT_ID: &str = "api-auditor";
pub const SECRET: &str = "api-auditor-secret-42";
pub const HOSTILE: &str = "<script>alert('pwned')</script> & \"Co\"";

pub fn org(clients: usize) -> Org {
    let mut org = sim::generate(&OrgSize {
        clients,
        roles: 20,
        seed: 3,
        anchor: chrono::Utc::now().date_naive(),
    });
    org.clients[0].client.name = HOSTILE.into();
    org.ensure_auditor(CLIENT_ID, SECRET);
    org
}

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub state: AppState,
    pub sim: RunningSim,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    pub server: Option<JoinHandle<std::io::Result<()>>>,
}

pub async fn start_sim(org: Org) -> RunningSim {
    sim::start_on_loopback(org, SimSettings::default())
        .await
        .unwrap()
}

pub async fn spawn_app_with(org: Org, extra: &[(&str, &str)]) -> TestApp {
    let sim = start_sim(org).await;
    spawn_app_on(sim, &temp_database(), extra).await
}

/// The app against a running simulator and a given database.
pub async fn spawn_app_on(sim: RunningSim, database_url: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut env: BTreeMap<String, String> = [
        ("GENESYS_OAUTH_CLIENT_ID", CLIENT_ID),
        ("GENESYS_OAUTH_CLIENT_SECRET", SECRET),
        ("SCOPEWATCH_LISTEN", "127.0.0.1:0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.insert("SCOPEWATCH_DATABASE_URL".into(), database_url.to_string());
    env.insert("GENESYS_API_BASE_URL".into(), sim.base_url());
    env.insert("GENESYS_LOGIN_BASE_URL".into(), sim.base_url());
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    let settings = Settings::load(&env, None).unwrap();
    let app = App::build(settings, false)
        .await
        .unwrap()
        .without_schedule();
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        database_url: database_url.to_string(),
        state,
        sim,
        http: reqwest::Client::builder().no_gzip().build().unwrap(),
        stop: Some(stop),
        server: Some(server),
    }
}

/// A fresh SQLite database file for one test.
pub fn temp_database() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("scopewatch-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("t{n}.db"));
    let _ = std::fs::remove_file(&path);
    format!("sqlite://{}", path.display())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(org(80), &[]).await
}

impl TestApp {
    /// Runs one audit to its end (the unit of work the scheduler runs).
    pub async fn audit(&self) -> Result<Arc<CachedReport>, String> {
        let ticket = self
            .state
            .audits
            .begin()
            .await
            .expect("no audit is running");
        run_audit(&self.state.audits, ticket).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request.send().await.unwrap()
    }

    /// Triggers shutdown and waits for the server to return.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.take().unwrap().await.unwrap()
    }
}

pub async fn json(response: reqwest::Response) -> serde_json::Value {
    response.json().await.unwrap()
}
