//! Soak: the service audits every second for a while, every other audit failing, while
//! clients hammer `/report`. Passes when no request failed, no task or connection leaked, and
//! memory did not grow: the trend of the resident size after a warm-up, over the whole run, is
//! under 15% (see `MAX_GROWTH`). The resident size, live tasks and open files are read every 100 ms; every audit
//! builds a new report before it drops the old one and readers gzip beside it, and the audit's
//! pooled upstream connections (each a task and two files: the simulator runs in-process) come
//! and go, so readings spike. A leak raises the floor: the trend is taken over the lowest
//! reading of each 5 s window, as the Theil-Sen slope (the median of the slopes between every
//! two windows), which one odd window cannot move; tasks and files compare the median window
//! floor of the first third (the first window may still be warming up) with the lowest floor
//! of the last third. The connections to the
//! simulator are left out of both: the upstream client keeps as many idle as an audit last had
//! in flight (audits every second never let them expire), each end a socket and a task.
//!
//! cargo run --example soak -- [seconds] [concurrent readers]   (defaults: 240 s, 8); growth is
//! judged after half the run and at least 18 audits.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use scopewatch::app::App;
use scopewatch::config::Settings;
use scopewatch_sim::{self as sim, OrgSize, SimSettings};

/// Audits before growth is judged (and at least half the run). Every run read so far shows one
/// step of the RSS floor, 5 to 15 MiB, between audit 12 and 16 (about 100-120 s in), flat
/// after it; not explained yet (not the SQLite page cache, not the upstream connections; one
/// malloc arena instead of two makes it smaller, not gone). Growth is judged after it.
const WARM_UP_AUDITS: u64 = 18;

/// The largest trend of the RSS floor that passes. A leak keeps growing; the unexplained step
/// above stays, and when it falls in the middle of the judged windows the trend reads about its
/// size: 2.9% and 8.3% in two 240 s runs, 18.4% once in a 150 s run. 15% leaves room for it and
/// still fails on any leak that adds a seventh of the service's memory in two minutes.
const MAX_GROWTH: f64 = 0.15;

#[path = "support/proc_status.rs"]
mod proc_status;
use proc_status::rss_kib;

fn median(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

/// Growth over the readings, as a fraction of their median: the Theil-Sen slope times the
/// number of steps.
fn trend(samples: &[u64]) -> f64 {
    let mut slopes = Vec::new();
    for i in 0..samples.len() {
        for j in i + 1..samples.len() {
            slopes.push((samples[j] as f64 - samples[i] as f64) / (j - i) as f64);
        }
    }
    if slopes.is_empty() {
        return 0.0;
    }
    slopes.sort_by(f64::total_cmp);
    let slope = slopes[slopes.len() / 2];
    slope * (samples.len() - 1) as f64 / median(samples).max(1) as f64
}

/// How far the floor of tasks or open files may rise between the first and the last third.
const LEAK_SLACK: usize = 3;

/// One reading of the process.
#[derive(Clone, Copy)]
struct Reading {
    rss_kib: u64,
    tasks: usize,
    fds: usize,
}

/// The lowest of each measure in each whole 5 s window after `warmed_at`.
fn window_floors(readings: &[(Duration, Reading)], warmed_at: Duration) -> Vec<Reading> {
    let mut floors = Vec::new();
    let mut window_end = warmed_at + Duration::from_secs(5);
    let mut floor: Option<Reading> = None;
    for &(at, r) in readings {
        if at >= window_end {
            floors.extend(floor.take());
            window_end += Duration::from_secs(5);
        }
        floor = Some(match floor {
            None => r,
            Some(f) => Reading {
                rss_kib: f.rss_kib.min(r.rss_kib),
                tasks: f.tasks.min(r.tasks),
                fds: f.fds.min(r.fds),
            },
        });
    }
    floors
}

/// The lowest value of the first third of the windows and of the last third.
/// The first third's typical floor (its median window: the first window may still be warming up,
/// with fewer tasks than the steady state) and the last third's lowest floor. A leak rises
/// steadily, so it lifts the last third above the first whichever window the first stands on.
fn first_and_last_third(floors: &[Reading], value: impl Fn(&Reading) -> usize) -> (usize, usize) {
    let third = (floors.len() / 3).max(1);
    let mut first: Vec<usize> = floors[..third.min(floors.len())]
        .iter()
        .map(&value)
        .collect();
    first.sort_unstable();
    let last = floors[floors.len().saturating_sub(third)..]
        .iter()
        .map(&value)
        .min()
        .unwrap_or(0);
    (first.get(first.len() / 2).copied().unwrap_or(0), last)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// The socket ends in this process with `port` at either end (the simulator's connections, both
/// ends, and its listener), from `/proc/net/tcp` and `/proc/self/fd`.
fn sockets_on_port(port: u16) -> usize {
    let mut inodes = std::collections::HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let port_of = |address: &str| {
                address
                    .rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            };
            if let (Some(local), Some(remote), Some(inode)) =
                (fields.get(1), fields.get(2), fields.get(9))
                && (port_of(local) == Some(port) || port_of(remote) == Some(port))
            {
                inodes.insert(format!("socket:[{inode}]"));
            }
        }
    }
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .filter(|link| inodes.contains(link.to_string_lossy().as_ref()))
            .count()
    })
}

fn main() -> ExitCode {
    // As `scopewatch serve` does: the soak measures the allocator the service runs with.
    scopewatch::memory::tune_allocator();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(soak())
}

async fn soak() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(240);
    let readers: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);

    let mut org = sim::generate(&OrgSize {
        clients: 2_000,
        roles: 60,
        seed: 7,
        anchor: chrono::Utc::now().date_naive(),
    });
    org.ensure_auditor("soak-auditor", "soak-secret-value");
    let upstream = sim::start_on_loopback(org, SimSettings::default())
        .await
        .expect("the simulator starts");
    let dir = std::env::temp_dir().join(format!("scopewatch-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let env: BTreeMap<String, String> = [
        ("GENESYS_OAUTH_CLIENT_ID", "soak-auditor".to_string()),
        (
            "GENESYS_OAUTH_CLIENT_SECRET",
            "soak-secret-value".to_string(),
        ),
        ("GENESYS_API_BASE_URL", upstream.base_url()),
        ("GENESYS_LOGIN_BASE_URL", upstream.base_url()),
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
    let auditor = app.auditor();
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    auditor.run_now().await.expect("the first audit succeeds");

    let done = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let mut hammer = Vec::new();
    for i in 0..readers {
        let (done, requests, failures, base) = (
            done.clone(),
            requests.clone(),
            failures.clone(),
            base.clone(),
        );
        hammer.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let paths = [
                "/report",
                "/report?risk_level=HIGH",
                "/metrics",
                "/audits?limit=5",
            ];
            let mut n = i;
            while !done.load(Ordering::Relaxed) {
                n += 1;
                let path = paths[n % paths.len()];
                let ok = match http.get(format!("{base}{path}")).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                requests.fetch_add(1, Ordering::Relaxed);
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                    eprintln!("soak: GET {path} failed");
                }
            }
        }));
    }

    let started = Instant::now();
    // Allocator arenas and bounded caches (the in-process simulator's query executions,
    // SQLite's page cache of each pooled connection) fill during the first half and the first
    // audits; growth is judged after both.
    let warm_up = Duration::from_secs((seconds / 2).max(5));
    let warmed_at_ms = Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
    let (mut audits, mut failed_audits) = (0u64, 0u64);
    // Read the resident size every 100 ms in the background; the floors are taken later.
    let readings = Arc::new(std::sync::Mutex::new(Vec::<(Duration, Reading)>::new()));
    let sampling = Arc::new(AtomicBool::new(true));
    let upstream_port = upstream
        .base_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
        .expect("the simulator's port");
    let sampler = {
        let (readings, sampling, warmed_at_ms) =
            (readings.clone(), sampling.clone(), warmed_at_ms.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                let at = started.elapsed();
                if at.as_millis() as u64 >= warmed_at_ms.load(Ordering::Relaxed) {
                    // Each end of a connection to the simulator is a socket and a task.
                    let upstream = sockets_on_port(upstream_port);
                    let reading = Reading {
                        rss_kib: rss_kib(),
                        tasks: tokio::runtime::Handle::current()
                            .metrics()
                            .num_alive_tasks()
                            .saturating_sub(upstream),
                        fds: open_fds().saturating_sub(upstream),
                    };
                    readings.lock().unwrap().push((at, reading));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    while started.elapsed() < Duration::from_secs(seconds) {
        let tick = Instant::now();
        // Every other audit fails: the clients listing is refused.
        if audits % 2 == 1 {
            upstream.faults().deny("clients");
        } else {
            upstream.faults().clear();
        }
        if auditor.run_now().await.is_err() {
            failed_audits += 1;
        }
        audits += 1;
        if started.elapsed() >= warm_up
            && audits >= WARM_UP_AUDITS
            && warmed_at_ms.load(Ordering::Relaxed) == u64::MAX
        {
            warmed_at_ms.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed())).await;
    }
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let readings = readings.lock().unwrap().clone();
    let warmed_at = Duration::from_millis(warmed_at_ms.load(Ordering::Relaxed).min(u64::MAX / 2));
    let floors = window_floors(&readings, warmed_at);
    let samples: Vec<u64> = floors.iter().map(|f| f.rss_kib).collect();
    let growth = trend(&samples);
    let (tasks_at_baseline, end_tasks) = first_and_last_third(&floors, |f| f.tasks);
    let (fds_at_baseline, end_fds) = first_and_last_third(&floors, |f| f.fds);
    done.store(true, Ordering::Relaxed);
    for h in hammer {
        let _ = h.await;
    }
    let _ = stop_server.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&dir);

    let list =
        |value: &dyn Fn(&Reading) -> String| floors.iter().map(value).collect::<Vec<_>>().join(" ");
    println!(
        "soak: floor of each 5 s window after the warm-up: RSS (MiB) {}; tasks {}; open files {}",
        list(&|f| (f.rss_kib / 1024).to_string()),
        list(&|f| f.tasks.to_string()),
        list(&|f| f.fds.to_string()),
    );
    println!(
        "soak: {seconds} s, {audits} audits ({failed_audits} failed), {} requests ({} failed); RSS trend over the run after the warm-up {:+.1}% (median {} KiB); tasks {tasks_at_baseline} -> {end_tasks}; fds {fds_at_baseline} -> {end_fds}",
        requests.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed),
        growth * 100.0,
        median(&samples),
    );
    let mut ok = true;
    let mut fail = |what: String| {
        eprintln!("soak FAILED: {what}");
        ok = false;
    };
    if failures.load(Ordering::Relaxed) > 0 {
        fail("some requests failed".into());
    }
    if failed_audits == 0 || failed_audits == audits {
        fail(format!(
            "expected about half the audits to fail, {failed_audits} of {audits} did"
        ));
    }
    if samples.len() < 4 {
        fail(format!(
            "too few samples after the warm-up ({})",
            samples.len()
        ));
    }
    if growth > MAX_GROWTH {
        fail(format!(
            "the RSS floor grew {:.1}% over the run",
            growth * 100.0
        ));
    }
    // A leak of one per audit shows as about a third of the audits after the warm-up.
    if end_tasks > tasks_at_baseline + LEAK_SLACK {
        fail(format!(
            "tasks grew from {tasks_at_baseline} to {end_tasks}"
        ));
    }
    if end_fds > fds_at_baseline + LEAK_SLACK {
        fail(format!(
            "open files grew from {fds_at_baseline} to {end_fds}"
        ));
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
