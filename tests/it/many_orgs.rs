//! Many orgs from one simulator (`scopewatch sim --orgs N --orgs-file-out PATH`): the orgs file
//! it writes audits every org, no more audits run at once than `SCOPEWATCH_MAX_CONCURRENT_AUDITS`,
//! and every stored audit names the replica that ran it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use scopewatch::app::App;
use scopewatch::config::Settings;

use crate::helpers::temp_database;

/// `scopewatch sim --orgs` as a process; killed when dropped.
pub(crate) struct SimProcess(std::process::Child);

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the simulator with `orgs` orgs of 4 clients; returns it and the orgs file it wrote.
pub(crate) fn spawn_many(orgs: usize, dir: &std::path::Path) -> (SimProcess, std::path::PathBuf) {
    let file = dir.join("orgs.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--clients",
            "4",
            "--roles",
            "6",
        ])
        .args(["--latency", "20ms", "--orgs", &orgs.to_string()])
        .arg("--orgs-file-out")
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    assert!(
        banner.contains(&format!("{orgs} orgs of 4 clients")),
        "{banner}"
    );
    // The file is written before the banner.
    let wrote = lines.next().unwrap().unwrap();
    assert!(wrote.contains("orgs.toml"), "{wrote}");
    (SimProcess(child), file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_audits_every_org_of_the_written_file_at_most_two_at_once_and_names_the_replica() {
    let dir = std::env::temp_dir().join(format!("sw-many-orgs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_sim, file) = spawn_many(6, &dir);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("[[org]]").count(), 6);
    let env: BTreeMap<String, String> = [
        ("SCOPEWATCH_ORGS_FILE", file.display().to_string()),
        ("SCOPEWATCH_LISTEN", "127.0.0.1:0".into()),
        ("SCOPEWATCH_DATABASE_URL", temp_database()),
        ("SCOPEWATCH_MAX_CONCURRENT_AUDITS", "2".into()),
        ("SCOPEWATCH_REPLICA_ID", "replica-a".into()),
        ("SCOPEWATCH_CHANGE_POLL", "0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let settings = Settings::load(&env, None).unwrap();
    let app = App::build(settings, false).await.unwrap();
    let limit = app.audit_limit();
    assert_eq!(limit.bound(), 2);
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let names: Vec<String> = (1..=6).map(|i| format!("org-{i:04}")).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut organizations = BTreeSet::new();
    for name in &names {
        let report = loop {
            let response = http
                .get(format!("{base}/orgs/{name}/report"))
                .send()
                .await
                .unwrap();
            if response.status() == 200 {
                break response.json::<serde_json::Value>().await.unwrap();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} was never audited"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(
            report["summary"]["total_clients"], 5,
            "4 clients and the auditor"
        );
        organizations.insert(report["organization"]["id"].to_string());
    }
    assert_eq!(organizations.len(), 6, "six distinct organizations");
    // Six orgs started together: they queued for two places, and two ran at once.
    assert_eq!(limit.most_at_once(), 2, "never more than the bound");
    for name in &names {
        let listing: serde_json::Value = http
            .get(format!("{base}/orgs/{name}/audits"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let audits = listing["audits"].as_array().unwrap();
        assert!(!audits.is_empty(), "{listing}");
        for audit in audits {
            assert_eq!(audit["replica"], "replica-a", "{audit}");
        }
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
