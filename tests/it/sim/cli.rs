use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn scopewatch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args(args)
        .env_remove("GENESYS_OAUTH_CLIENT_ID")
        .env_remove("GENESYS_OAUTH_CLIENT_SECRET")
        .output()
        .unwrap()
}

fn one_line_error(output: &std::process::Output) -> String {
    assert_eq!(output.status.code(), Some(2), "exit status");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"));
    stderr
}

/// A usage error: exit 2 and clap's whole message, whose first line names the problem (the
/// lines after it are clap's own hints, such as "For more information, try '--help'").
fn usage_error(output: &std::process::Output) -> String {
    assert_eq!(output.status.code(), Some(2), "exit status");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let first = stderr.lines().next().unwrap_or_default().to_string();
    assert!(first.starts_with("error: "), "{stderr}");
    first
}

#[test]
fn bad_flags_give_an_error_naming_the_flag_first_and_exit_2() {
    let err = usage_error(&scopewatch(&["sim", "--clients", "lots"]));
    assert!(err.contains("--clients"), "{err}");
    let err = usage_error(&scopewatch(&["sim", "--fault-5xx-rate", "2"]));
    assert!(err.contains("--fault-5xx-rate"), "{err}");
    let err = usage_error(&scopewatch(&["sim", "--latency", "5 parsecs"]));
    assert!(err.contains("--latency"), "{err}");
    let err = usage_error(&scopewatch(&["sim", "--no-such-flag"]));
    assert!(err.contains("--no-such-flag"), "{err}");
}

#[test]
fn a_malformed_org_file_gives_one_line_with_its_position_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("sw-org-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.json");
    std::fs::write(&path, "{\"clients\": [\n  {\"id\": \"a\", \"name\": 7}\n]}").unwrap();
    let err = one_line_error(&scopewatch(&["sim", "--org", path.to_str().unwrap()]));
    assert!(
        err.contains("broken.json") && err.contains("line 2"),
        "{err}"
    );
    let missing = one_line_error(&scopewatch(&["sim", "--org", "/nonexistent/org.json"]));
    assert!(missing.contains("/nonexistent/org.json"), "{missing}");
    std::fs::write(&path, r#"{"clients": [{"id": "a", "name": "x", "authorizedGrantType": "CODE"}, {"id": "a", "name": "y", "authorizedGrantType": "CODE"}]}"#).unwrap();
    let dup = one_line_error(&scopewatch(&["sim", "--org", path.to_str().unwrap()]));
    assert!(dup.contains("duplicated"), "{dup}");
}

#[test]
fn a_dumped_org_loads_and_serves_the_same_clients() {
    let dir = std::env::temp_dir().join(format!("sw-dump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("org.json");
    let out = scopewatch(&[
        "sim",
        "--clients",
        "25",
        "--seed",
        "9",
        "--anchor-date",
        "2026-11-01",
        "--client-id",
        "aud",
        "--client-secret",
        "s",
        "--dump-org",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let org = scopewatch_sim::Org::load(&path).unwrap();
    assert_eq!(org.clients.len(), 26);
    assert!(org.clients.iter().any(|c| c.client.id == "aud"));

    let mut child = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--org",
            path.to_str().unwrap(),
        ])
        .env_remove("GENESYS_OAUTH_CLIENT_ID")
        .env_remove("GENESYS_OAUTH_CLIENT_SECRET")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let id_line = lines.next().unwrap().unwrap();
    let secret_line = lines.next().unwrap().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(banner.contains("27 clients"), "{banner}");
    assert!(
        id_line.starts_with("auditor client id: scopewatch-auditor"),
        "{id_line}"
    );
    assert!(
        secret_line.starts_with("auditor client secret: ") && secret_line.len() > 30,
        "{secret_line}"
    );
}

#[test]
fn help_works_for_the_simulator() {
    let out = scopewatch(&["sim", "--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--fault-429-storm"));
}

/// Starts `scopewatch sim` with extra flags; returns the child and its base URL.
fn spawn_sim(flags: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--clients",
            "5",
            "--client-id",
            "aud",
            "--client-secret",
            "sec",
        ])
        .args(flags)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let base = banner
        .split(" on ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    (child, base)
}

async fn first_api_answer(base: &str) -> reqwest::Response {
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth("aud", Some("sec"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    http.get(format!("{base}/api/v2/oauth/clients"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_refuses_the_named_endpoint_as_a_missing_permission() {
    let (mut child, base) = spawn_sim(&["--deny", "clients"]);
    let denied = first_api_answer(&base).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(denied.status(), 403);
    let body: serde_json::Value = denied.json().await.unwrap();
    assert_eq!(body["code"], "missing.any.permissions", "{body}");
    // An endpoint the simulator does not know is refused by the command line.
    let out = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args(["sim", "--deny", "everything"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("everything"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_flags_switch_the_faults_on() {
    let (mut child, base) = spawn_sim(&["--fault-429-storm", "60s", "--fault-retry-after", "9"]);
    let storm = first_api_answer(&base).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(storm.status(), 429);
    assert_eq!(storm.headers()["retry-after"], "9");

    let (mut child, base) = spawn_sim(&["--fault-5xx-rate", "1"]);
    let failing = first_api_answer(&base).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(failing.status(), 503);

    let (mut child, base) = spawn_sim(&["--fault-revoke-after", "0"]);
    let revoked = first_api_answer(&base).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(revoked.status(), 401);
}

#[test]
fn the_operator_flag_is_id_and_secret_and_must_not_take_the_auditors_id() {
    let err = one_line_error(&scopewatch(&["sim", "--operator", "op"]));
    assert!(err.contains("--operator"), "{err}");
    let err = one_line_error(&scopewatch(&[
        "sim",
        "--client-id",
        "same",
        "--client-secret",
        "s",
        "--operator",
        "same:t",
    ]));
    assert!(err.contains("--operator"), "{err}");
    let dir = std::env::temp_dir().join(format!("sw-op-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("org.json");
    let out = scopewatch(&[
        "sim",
        "--clients",
        "3",
        "--operator",
        "op:op-secret",
        "--dump-org",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let org: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let operator = org["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "op")
        .expect("the operator client is in the org");
    assert_eq!(operator["authorizedGrantType"], "CLIENT-CREDENTIALS");
}

/// `--request-log` writes every request the simulator served when it stops, so the bench
/// harness counts upstream calls by endpoint from the simulator's own log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_is_written_on_shutdown() {
    let dir = std::env::temp_dir().join(format!("sw-reqlog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("requests.tsv");
    let (mut child, base) = spawn_sim(&["--request-log", path.to_str().unwrap()]);
    let listing = first_api_answer(&base).await;
    assert_eq!(listing.status(), 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
    let log = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Vec<&str>> = log.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "one line per request: {log}");
    assert_eq!(lines[0][..3], ["POST", "/oauth/token", "200"]);
    assert_eq!(lines[1][..3], ["GET", "/api/v2/oauth/clients", "200"]);
    // Then when it arrived (ms after the first request) and how long it took (ms).
    let ms = |l: &[&str], i: usize| l[i].parse::<f64>().unwrap_or_else(|_| panic!("{log}"));
    assert_eq!(ms(&lines[0], 3), 0.0);
    assert!(ms(&lines[1], 3) >= 0.0 && ms(&lines[1], 4) >= 0.0, "{log}");
    assert!(lines.iter().all(|l| l.len() == 5), "{log}");
    std::fs::remove_dir_all(&dir).ok();
}
