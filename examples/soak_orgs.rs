//! Soak with several orgs (issue 21): four simulated orgs audited in turn while their clients
//! change (one created per org per round), readers fetch reports and history, diffs of every
//! org run concurrently, and slow readers take the plain report a few KB at a time. Then a
//! flood: 96 diffs, 64 HTML pages and 64 slow readers at once, with `/healthz` timed.
//!
//! Passes when no request of the soak failed, `/healthz` answered within 5 s during the flood
//! (loose, for a loaded CI machine), every flood answer was 200 or 503 `busy` with
//! `Retry-After`, and the resident size did not grow: the median of the lowest reading of each
//! 5 s window in the last third of the soak is within `MAX_GROWTH` of that of the middle third. Prints the peak resident size of each
//! phase (the memory budget in docs/SECURITY.md quotes them).
//!
//! cargo run --example soak_orgs -- [seconds]   (default 150)

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use scopewatch::app::App;
use scopewatch::config::Settings;
use scopewatch_sim::{self as sim, OrgSize, RunningSim, SimSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ORGS: [&str; 4] = ["default", "emea", "apac", "japan"];
const CLIENTS: usize = 400;
const MAX_GROWTH: f64 = 0.15;
const OPERATOR: &str = "soak-operator";
const OPERATOR_SECRET: &str = "soak-operator-secret";

#[path = "support/proc_status.rs"]
mod proc_status;
use proc_status::rss_kib;

/// Counts of what the soak asked and what failed.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    failures: AtomicU64,
}

impl Tally {
    fn count(&self, ok: bool, what: &str) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.failures.fetch_add(1, Ordering::Relaxed);
            eprintln!("soak_orgs: {what} failed");
        }
    }
}

/// One simulated org per name, each with scopewatch's auditor and an operator that creates
/// clients; the orgs file that audits them.
async fn start_orgs(dir: &std::path::Path) -> (Vec<RunningSim>, std::path::PathBuf) {
    let mut sims = Vec::new();
    let mut file = String::new();
    for (i, name) in ORGS.iter().enumerate() {
        let mut org = sim::generate(&OrgSize {
            clients: CLIENTS,
            roles: 40,
            seed: 11 + i as u64,
            anchor: chrono::Utc::now().date_naive(),
        });
        org.ensure_auditor("soak-auditor", "soak-auditor-secret");
        org.add_operator(OPERATOR, OPERATOR_SECRET);
        let running = sim::start_on_loopback(org, SimSettings::default())
            .await
            .expect("the simulator starts");
        let secret = dir.join(format!("{name}.secret"));
        std::fs::write(&secret, "soak-auditor-secret").expect("a secret file");
        file.push_str(&format!(
            "[[org]]\nname = \"{name}\"\napi_base_url = \"{base}\"\nlogin_base_url = \"{base}\"\nclient_id = \"soak-auditor\"\nclient_secret_file = \"{}\"\n\n",
            secret.display(),
            base = running.base_url(),
        ));
        sims.push(running);
    }
    let path = dir.join("orgs.toml");
    std::fs::write(&path, file).expect("the orgs file");
    (sims, path)
}

/// Creates one client in `sim` as the operator: the org's clients change every round.
async fn change_clients(http: &reqwest::Client, sim: &RunningSim, n: u64) -> bool {
    let token = http
        .post(format!("{}/oauth/token", sim.base_url()))
        .basic_auth(OPERATOR, Some(OPERATOR_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await;
    let Ok(token) = token else {
        return false;
    };
    let Some(token) = token
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|t| t["access_token"].as_str().map(str::to_string))
    else {
        return false;
    };
    let body = serde_json::json!({
        "name": format!("soak client {n}"),
        "authorizedGrantType": "TOKEN",
        "registeredRedirectUri": ["https://app.example.com/cb"],
        "scope": ["users:readonly"],
        "accessTokenValiditySeconds": 3600
    });
    http.post(format!("{}/api/v2/oauth/clients", sim.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// A slow reader: asks the plain report with a small receive buffer and reads 4 KB every
/// `pause`, to the end of the body or for `for_at_most`. True when the answer is a 200.
async fn slow_read(addr: &str, path: &str, pause: Duration, for_at_most: Duration) -> bool {
    let Ok(socket) = tokio::net::TcpSocket::new_v4() else {
        return false;
    };
    let _ = socket.set_recv_buffer_size(8192);
    let Ok(mut stream) = socket.connect(addr.parse().expect("an address")).await else {
        return false;
    };
    let ask = format!("GET {path} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n");
    if stream.write_all(ask.as_bytes()).await.is_err() {
        return false;
    }
    let started = Instant::now();
    let mut head = Vec::new();
    let mut buf = vec![0u8; 4096];
    while started.elapsed() < for_at_most {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                if head.len() < 16 {
                    head.extend_from_slice(&buf[..n]);
                }
            }
            _ => return false,
        }
        tokio::time::sleep(pause).await;
    }
    head.starts_with(b"HTTP/1.1 200")
}

/// The newest successful audit of `org` that has one before it, for its diff.
async fn diffable(http: &reqwest::Client, base: &str, org: &str) -> Option<String> {
    let page: serde_json::Value = http
        .get(format!("{base}/orgs/{org}/audits?limit=5"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let ids: Vec<&str> = page["audits"]
        .as_array()?
        .iter()
        .filter(|a| a["outcome"] == "success" && a["stored"] == true)
        .filter_map(|a| a["audit_id"].as_str())
        .collect();
    (ids.len() >= 2).then(|| ids[0].to_string())
}

/// Readers, diffs and slow readers until `done`.
fn start_load(
    base: &str,
    done: &Arc<AtomicBool>,
    tally: &Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut load = Vec::new();
    for i in 0..6 {
        let (base, done, tally) = (base.to_string(), done.clone(), tally.clone());
        load.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = i;
            while !done.load(Ordering::Relaxed) {
                n += 1;
                let org = ORGS[n % ORGS.len()];
                let path = match (i, n % 3) {
                    (0..=2, 0) => format!("/orgs/{org}/report"),
                    (0..=2, 1) => format!("/orgs/{org}/report?format=csv"),
                    (0..=2, _) => format!("/orgs/{org}/audits?limit=5"),
                    _ => match diffable(&http, &base, org).await {
                        Some(id) => format!("/orgs/{org}/audits/{id}/diff"),
                        None => format!("/orgs/{org}/audits?limit=2"),
                    },
                };
                let ok = match http.get(format!("{base}{path}")).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                tally.count(ok, &format!("GET {path}"));
            }
        }));
    }
    let addr = base.trim_start_matches("http://").to_string();
    for i in 0..8 {
        let (addr, done, tally) = (addr.clone(), done.clone(), tally.clone());
        load.push(tokio::spawn(async move {
            let mut n = i;
            while !done.load(Ordering::Relaxed) {
                n += 1;
                let path = format!("/orgs/{}/report", ORGS[n % ORGS.len()]);
                let ok = slow_read(
                    &addr,
                    &path,
                    Duration::from_millis(50),
                    Duration::from_secs(8),
                )
                .await;
                tally.count(ok, &format!("slow GET {path}"));
            }
        }));
    }
    load
}

/// The flood: 96 diffs, 64 HTML pages and 64 slow readers at once, `/healthz` timed meanwhile.
/// The slowest `/healthz` and the answers that were neither 200 nor `busy`.
async fn flood(base: &str) -> (Duration, u64) {
    let http = reqwest::Client::new();
    let mut asks = Vec::new();
    for n in 0..160 {
        let org = ORGS[n % ORGS.len()];
        let path = if n < 96 {
            match diffable(&http, base, org).await {
                Some(id) => format!("/orgs/{org}/audits/{id}/diff"),
                None => format!("/orgs/{org}/report?format=html"),
            }
        } else {
            format!("/orgs/{org}/report?format=html")
        };
        let http = http.clone();
        let url = format!("{base}{path}");
        asks.push(tokio::spawn(async move {
            match http.get(url).send().await {
                Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                Ok(r) if r.status() == 503 => r.headers().contains_key("retry-after"),
                _ => false,
            }
        }));
    }
    let addr = base.trim_start_matches("http://").to_string();
    let slow: Vec<_> = (0..64)
        .map(|n| {
            let addr = addr.clone();
            tokio::spawn(async move {
                let path = format!("/orgs/{}/report", ORGS[n % ORGS.len()]);
                slow_read(
                    &addr,
                    &path,
                    Duration::from_millis(200),
                    Duration::from_secs(6),
                )
                .await
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let ok = http
            .get(format!("{base}/healthz"))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        slowest = slowest.max(if ok {
            started.elapsed()
        } else {
            Duration::MAX / 2
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut bad = 0;
    for a in asks.into_iter().chain(slow) {
        if !a.await.unwrap_or(false) {
            bad += 1;
        }
    }
    (slowest, bad)
}

fn main() -> ExitCode {
    scopewatch::memory::tune_allocator();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(soak())
}

async fn soak() -> ExitCode {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    let dir = std::env::temp_dir().join(format!("scopewatch-soak-orgs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let (sims, orgs_file) = start_orgs(&dir).await;
    let env: BTreeMap<String, String> = [
        ("SCOPEWATCH_ORGS_FILE", orgs_file.display().to_string()),
        ("SCOPEWATCH_LISTEN", "127.0.0.1:0".to_string()),
        (
            "SCOPEWATCH_DATABASE_URL",
            format!("sqlite://{}", dir.join("soak.db").display()),
        ),
        // Genesys's own ceiling, not scopewatch's cautious default (120): an audit is about
        // 57 calls since the usage-anomaly jobs, and the soak audits every second.
        ("SCOPEWATCH_MAX_REQUESTS_PER_MINUTE", "300".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let settings = Settings::load(&env, None).expect("valid settings");
    let app = App::build(settings, false)
        .await
        .expect("the app starts")
        .without_schedule();
    let base = format!("http://{}", app.local_addr());
    let auditors: Vec<_> = ORGS
        .iter()
        .map(|o| app.org_auditor(o).expect("an org"))
        .collect();
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    for a in &auditors {
        a.run_now().await.expect("the first audit succeeds");
    }

    let done = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let load = start_load(&base, &done, &tally);
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut floors: Vec<u64> = Vec::new();
    let (mut window_floor, mut window_end) = (u64::MAX, Duration::from_secs(5));
    let (mut peak_soak, mut rounds, mut failed_audits) = (0u64, 0u64, 0u64);
    while started.elapsed() < Duration::from_secs(seconds) {
        for (sim, auditor) in sims.iter().zip(&auditors) {
            tally.count(
                change_clients(&http, sim, rounds).await,
                "creating a client",
            );
            if auditor.run_now().await.is_err() {
                failed_audits += 1;
            }
            let rss = rss_kib();
            peak_soak = peak_soak.max(rss);
            window_floor = window_floor.min(rss);
            if started.elapsed() >= window_end {
                floors.push(window_floor);
                window_floor = u64::MAX;
                window_end += Duration::from_secs(5);
            }
        }
        rounds += 1;
    }
    done.store(true, Ordering::Relaxed);
    for l in load {
        let _ = l.await;
    }
    let before_flood = rss_kib();
    let sampling = Arc::new(AtomicBool::new(true));
    let peak_flood = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (sampling, peak) = (sampling.clone(), peak_flood.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let (slowest_health, bad_flood) = flood(&base).await;
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let _ = stop_server.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&dir);

    let third = floors.len() / 3;
    let median = |part: &[u64]| {
        let mut v = part.to_vec();
        v.sort_unstable();
        v.get(v.len() / 2).copied().unwrap_or(0)
    };
    let (middle, last) = (
        median(&floors[third..(2 * third).max(third)]),
        median(&floors[(2 * third).min(floors.len())..]),
    );
    let growth = (last as f64 - middle as f64) / middle.max(1) as f64;
    println!(
        "soak_orgs: {seconds} s, {} orgs, {rounds} rounds ({failed_audits} audits failed), {} requests ({} failed); RSS floor (MiB) {}; middle third {} MiB, last third {} MiB ({:+.1}%); peak RSS {} MiB in the soak, {} MiB in the flood (from {} MiB); slowest /healthz in the flood {:?}; {bad_flood} flood answers neither 200 nor busy",
        ORGS.len(),
        tally.requests.load(Ordering::Relaxed),
        tally.failures.load(Ordering::Relaxed),
        floors
            .iter()
            .map(|f| (f / 1024).to_string())
            .collect::<Vec<_>>()
            .join(" "),
        middle / 1024,
        last / 1024,
        growth * 100.0,
        peak_soak / 1024,
        peak_flood.load(Ordering::Relaxed) / 1024,
        before_flood / 1024,
        slowest_health,
    );
    let mut ok = true;
    let mut fail = |what: String| {
        eprintln!("soak_orgs FAILED: {what}");
        ok = false;
    };
    if tally.failures.load(Ordering::Relaxed) > 0 {
        fail("some requests failed".into());
    }
    if failed_audits > 0 {
        fail(format!("{failed_audits} audits failed"));
    }
    if floors.len() < 6 {
        fail(format!("too few windows ({})", floors.len()));
    }
    if growth > MAX_GROWTH {
        fail(format!("the RSS floor grew {:.1}%", growth * 100.0));
    }
    if slowest_health > Duration::from_secs(5) {
        fail(format!("/healthz took {slowest_health:?} during the flood"));
    }
    if bad_flood > 0 {
        fail(format!(
            "{bad_flood} flood answers were neither 200 nor 503 busy"
        ));
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
