//! One set of helpers for every test: the test org and its auditor's credentials, the
//! simulator, a fast Genesys client, a temporary database, the app on port 0, and audits run
//! by calling the unit of work.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use scopewatch::app::App;
use scopewatch::audit::policy::AuditPolicy;
use scopewatch::audit::report::Report;
use scopewatch::auditor::{AuditError, Auditor, assess};
use scopewatch::cache::CachedReport;
use scopewatch::config::Settings;
use scopewatch::genesys::{ClientConfig, GenesysClient, GenesysError, NoObserver};
use scopewatch::http::AppState;
use scopewatch::notify::Handled;
use scopewatch_sim::{self as sim, Org, OrgSize, RunningSim, SimSettings};
use secrecy::SecretString;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const CLIENT_ID: &str = "test-auditor";
pub const SECRET: &str = "s3cr3t-auditor-value-77";
pub const HOSTILE: &str = "<script>alert('pwned')</script> & \"Co\"";

/// A generated org (seed 42, usage anchored today) with scopewatch's own auditor client.
pub fn generated_org(clients: usize, roles: usize) -> Org {
    let mut org = sim::generate(&OrgSize {
        clients,
        roles,
        seed: 42,
        anchor: chrono::Utc::now().date_naive(),
    });
    org.ensure_auditor(CLIENT_ID, SECRET);
    org
}

/// The org the API tests serve: 20 roles, a hostile client name first.
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

/// Fast retries and polls so fault tests take milliseconds, not minutes.
pub fn client_config(sim: &RunningSim) -> ClientConfig {
    let mut c = ClientConfig::new(
        CLIENT_ID.into(),
        SecretString::from(SECRET),
        "mypurecloud.com".into(),
        sim.base_url(),
        sim.base_url(),
    );
    c.backoff_base = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(50);
    c.usage_poll_interval = Duration::from_millis(20);
    c.request_timeout = Duration::from_secs(5);
    c.max_requests_per_minute = 300;
    c
}

/// `client_config` with the product's request timeout, for tests whose answers are large (a
/// 24 MB description, 10 000 clients' usage): a debug build on a loaded machine may need more
/// than 5 s to read one, and those tests are about what is read, not how fast.
pub fn client_config_for_large_answers(sim: &RunningSim) -> ClientConfig {
    let product = ClientConfig::new(
        CLIENT_ID.into(),
        SecretString::from(SECRET),
        "mypurecloud.com".into(),
        sim.base_url(),
        sim.base_url(),
    );
    ClientConfig {
        request_timeout: product.request_timeout,
        ..client_config(sim)
    }
}

/// Collects and judges once, stored nowhere (what `scopewatch audit` does).
pub async fn assess_with(
    config: ClientConfig,
    policy: &AuditPolicy,
) -> Result<Report, GenesysError> {
    let client = GenesysClient::new(config, Arc::new(NoObserver)).unwrap();
    assess(
        &client,
        policy,
        "test-audit".into(),
        chrono::Utc::now(),
        None,
        &|_| {},
    )
    .await
    .map_err(|e| match e {
        AuditError::Genesys(e) => e,
        other => panic!("the audit failed before or after reading Genesys: {other}"),
    })
}

pub fn days_ago(days: i64) -> NaiveDate {
    chrono::Utc::now().date_naive() - chrono::Duration::days(days)
}

/// Asserts the auditor's secret appears nowhere in `text`.
pub fn assert_no_secret(text: &str) {
    assert!(!text.contains(SECRET), "the client secret leaked: {text}");
}

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub state: AppState,
    pub auditor: Arc<Auditor>,
    pub sim: RunningSim,
    pub http: reqwest::Client,
    /// What became of each audit's webhook message (with a webhook configured).
    pub webhook: Option<tokio::sync::watch::Receiver<Option<Handled>>>,
    stop: Option<oneshot::Sender<()>>,
    pub server: Option<JoinHandle<std::io::Result<()>>>,
}

pub async fn start_sim(org: Org) -> RunningSim {
    start_sim_with(org, SimSettings::default()).await
}

pub async fn start_sim_with(org: Org, settings: SimSettings) -> RunningSim {
    sim::start_on_loopback(org, settings)
        .await
        .expect("the simulator starts")
}

/// `POST /oauth/token` with these credentials.
pub async fn token_for(sim: &RunningSim, id: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/oauth/token", sim.base_url()))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

/// A token for scopewatch's auditor client.
pub async fn token(sim: &RunningSim) -> String {
    let body: serde_json::Value = token_for(sim, CLIENT_ID, SECRET)
        .await
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

pub async fn sim_get(sim: &RunningSim, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

pub async fn sim_post_json(
    sim: &RunningSim,
    token: &str,
    path: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn spawn_app_with(org: Org, extra: &[(&str, &str)]) -> TestApp {
    let sim = start_sim(org).await;
    spawn_app_on(sim, &temp_database(), extra).await
}

/// The app against a running simulator and a given database.
pub async fn spawn_app_on(sim: RunningSim, database_url: &str, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_adjusted(sim, database_url, extra, |app| app).await
}

/// The app, changed by `adjust` before it serves (a faster webhook delivery, say).
pub async fn spawn_app_adjusted(
    sim: RunningSim,
    database_url: &str,
    extra: &[(&str, &str)],
    adjust: impl FnOnce(App) -> App,
) -> TestApp {
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
    let app = adjust(
        App::build(settings, false)
            .await
            .unwrap()
            .without_schedule(),
    );
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    let auditor = app.auditor();
    let webhook = app.webhook_handled();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        database_url: database_url.to_string(),
        state,
        auditor,
        sim,
        http: reqwest::Client::builder().no_gzip().build().unwrap(),
        webhook,
        stop: Some(stop),
        server: Some(server),
    }
}

/// A fresh SQLite database file for one test.
pub fn temp_database() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("scopewatch-it-{}", std::process::id()));
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
    pub async fn audit(&self) -> Result<Arc<CachedReport>, AuditError> {
        let ticket = self.auditor.begin().await.expect("no audit is running");
        self.auditor.run(ticket).await
    }

    /// Waits (at most 30 s) for the audit `audit_id` to end here, and returns how it ended.
    pub async fn finished(&self, audit_id: &str) -> scopewatch::store::AuditRecord {
        let mut finished = self.auditor.finished();
        let seen = tokio::time::timeout(
            Duration::from_secs(30),
            finished.wait_for(|f| f.as_ref().is_some_and(|f| f.audit_id == audit_id)),
        )
        .await
        .expect("the audit ends within 30 s")
        .expect("the auditor lives");
        seen.clone().unwrap()
    }

    /// `POST /audits`.
    pub async fn post_audit(&self) -> reqwest::Response {
        self.http
            .post(format!("{}/audits", self.base))
            .send()
            .await
            .unwrap()
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

/// The value of a series of the `default` org (labelled only `org`) in a Prometheus text exposition.
pub fn gauge(exposition: &str, name: &str) -> Option<f64> {
    let series = format!("{name}{{org=\"default\"}} ");
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(series.as_str()))
        .and_then(|v| v.trim().parse().ok())
}
