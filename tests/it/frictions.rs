//! What a new user met first (issue 22, "Frictions"): clap's own messages, `audit --demo`,
//! `--fail-on`'s line, the login host, the logs, one process per SQLite file, waivers in
//! `policy check` and the audit, the auditor's own client.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use scopewatch_sim::SimSettings;

use crate::helpers::*;

fn scopewatch(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scopewatch"));
    cmd.args(args).env_clear();
    cmd
}

fn run(args: &[&str]) -> Output {
    scopewatch(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn usage_errors_print_clap_whole_and_exit_2() {
    // Each case: the arguments, and what the message must name.
    let cases: [(&[&str], &[&str]); 5] = [
        (&["serve", "--orgs", "3"], &["--demo"]),
        (&["policy", "check"], &["<FILE>"]),
        (
            &["audit", "--format", "xml"],
            &["'xml'", "json", "csv", "sarif"],
        ),
        (&["audit", "--fromat", "csv"], &["--format"]),
        (&["audti"], &["audit"]),
    ];
    for (args, needles) in cases {
        let out = run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        for needle in needles {
            assert!(err.contains(needle), "{args:?} names {needle}: {err}");
        }
    }
    // `scopewatch` alone: the help, on stderr, exit 2.
    let out = run(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("Commands:") && err.contains("audit"), "{err}");
    // Asked for, the help is no error.
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Commands:"));
}

/// The demo report, `audit --demo ARGS` with `env` only.
fn audit_demo(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = scopewatch(&["audit", "--demo"]);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn audit_demo_needs_no_credentials_and_fail_on_says_how_many() {
    let out = audit_demo(&["--fail-on", "high"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["total_clients"], 301);
    let clients = report["clients"].as_array().unwrap();
    let high = clients
        .iter()
        .filter(|c| matches!(c["risk_level"].as_str(), Some("HIGH" | "CRITICAL")))
        .count();
    assert!(high > 1);
    assert_eq!(
        err.trim_end().lines().last(),
        Some(format!("{high} clients at or above HIGH").as_str()),
        "{err}"
    );
    // The auditor's own client made the calls: it is not unused.
    let own = clients
        .iter()
        .find(|c| c["client_id"] == "scopewatch-demo")
        .expect("the demo's auditor client is in the report");
    // No findings at all: the empty list is left out.
    let rules: Vec<&str> = own["findings"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(!rules.contains(&"unused-client"), "{rules:?}");
    // Without `--fail-on`: exit 0 and no count, whatever the risks.
    let out = audit_demo(&["--format", "csv"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("at or above"), "{}", stderr(&out));
}

#[test]
fn logs_are_json_off_a_terminal_and_never_coloured() {
    let out = audit_demo(&["--format", "csv"], &[("RUST_LOG", "info")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let logs: Vec<&str> = err.lines().filter(|l| l.contains("demo")).collect();
    assert!(!logs.is_empty(), "{err}");
    for line in logs {
        serde_json::from_str::<serde_json::Value>(line).expect(line);
    }
    let out = audit_demo(
        &["--format", "csv"],
        &[("RUST_LOG", "info"), ("SCOPEWATCH_LOG_FORMAT", "pretty")],
    );
    let err = stderr(&out);
    assert!(err.contains(" INFO "), "pretty lines: {err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour codes into a pipe: {err:?}"
    );
}

#[test]
fn policy_check_titles_the_rules_and_flags_an_expired_waiver() {
    let dir = std::env::temp_dir().join(format!("sw-frictions-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("policy.toml");
    std::fs::write(
        &file,
        "name = \"p\"\n[[waivers]]\nrule = \"unused-client\"\nclient = \"Old*\"\nreason = \"r\"\nowner = \"o@example.com\"\nexpires = 2020-01-31\n\n\
         [[waivers]]\nrule = \"all-divisions\"\nclient = \"CX*\"\nreason = \"r\"\nowner = \"o@example.com\"\nexpires = 2999-01-01\n",
    )
    .unwrap();
    let out = run(&["policy", "check", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout.contains("unused-client") && stdout.contains("Active client has not been used"),
        "{stdout}"
    );
    let expired: Vec<&str> = stdout.lines().filter(|l| l.contains("EXPIRED")).collect();
    assert_eq!(expired.len(), 1, "{stdout}");
    assert!(expired[0].contains("'Old*'") && expired[0].contains("2020-01-31"));
    assert!(stderr(&out).contains("1 waiver(s)"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_audit_warns_about_a_waiver_that_matches_no_client() {
    let dir = std::env::temp_dir().join(format!("sw-frictions-waiver-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("policy.toml");
    std::fs::write(
        &file,
        "name = \"p\"\n[[waivers]]\nrule = \"unused-client\"\nclient = \"No such client*\"\nreason = \"r\"\nowner = \"o@example.com\"\nexpires = 2999-01-01\n",
    )
    .unwrap();
    let out = audit_demo(&["--policy", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings: Vec<&str> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("'No such client*'") && w.contains("matches no client")),
        "{warnings:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_base_url_alone_is_enough_for_a_simulator_and_a_dead_host_is_named() {
    let sim = start_sim_with(generated_org(20, 5), SimSettings::default()).await;
    let audit = |base: String| {
        scopewatch(&["audit", "--format", "csv"])
            .env("GENESYS_OAUTH_CLIENT_ID", CLIENT_ID)
            .env("GENESYS_OAUTH_CLIENT_SECRET", SECRET)
            .env("GENESYS_API_BASE_URL", base)
            .output()
            .unwrap()
    };
    let out = audit(sim.base_url());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(
        csv.starts_with("client_id,") && csv.lines().count() > 20,
        "{csv}"
    );

    // Nothing listens on this port: the error names the host, and while it logs in the
    // progress line says so.
    // Port 1 (a privileged port nothing here serves): a port freed by this test could be taken
    // by another test's simulator meanwhile.
    let out = audit("http://127.0.0.1:1".to_string());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let last = err.trim_end().lines().last().unwrap_or_default();
    assert!(last.contains("cannot connect to 127.0.0.1"), "{err}");
    for line in err.lines().filter(|l| l.starts_with("scopewatch: ")) {
        assert!(line.contains("logging in at"), "{err}");
    }
}

/// Lines a child writes to stderr, as they come.
fn stderr_lines(child: &mut Child) -> Receiver<String> {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// `serve --demo` with `extra` arguments on `db`, JSON logs at `info`.
fn serve_demo(db: &std::path::Path, extra: &[&str]) -> Command {
    let mut cmd = scopewatch(&["serve", "--demo"]);
    cmd.args(extra)
        .env("SCOPEWATCH_LISTEN", "127.0.0.1:0")
        .env("SCOPEWATCH_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env(
            "SCOPEWATCH_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        )
        .stderr(Stdio::piped());
    cmd
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let began = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if began.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_second_service_on_one_sqlite_file_refuses_naming_it_and_audit_lines_carry_the_org() {
    let dir = std::env::temp_dir().join(format!("sw-frictions-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("history.db");
    let mut first = serve_demo(&db, &["--orgs", "2"]).spawn().unwrap();
    let lines = stderr_lines(&mut first);
    // Wait for both orgs' first audits.
    let mut seen = Vec::new();
    let began = Instant::now();
    while seen
        .iter()
        .filter(|l: &&String| l.contains("audit succeeded"))
        .count()
        < 2
    {
        let left = Duration::from_secs(60).saturating_sub(began.elapsed());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => {
                stop(first);
                panic!("two audits within 60 s: {seen:?}");
            }
        }
    }
    // Bounded: a second service that starts would run until stopped.
    let mut second = serve_demo(&db, &[]).spawn().unwrap();
    let second_lines = stderr_lines(&mut second);
    let began = Instant::now();
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break Some(status);
        }
        if began.elapsed() > Duration::from_secs(20) {
            stop(second);
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    stop(first);
    // The reader ends with the process's stderr.
    let err: String = second_lines.iter().collect::<Vec<_>>().join("\n");
    assert_eq!(status.and_then(|s| s.code()), Some(2), "{err}");
    assert!(
        err.contains(&db.display().to_string()) && err.contains("in use"),
        "{err}"
    );

    // Every line about an audit says whose.
    let mut orgs = std::collections::BTreeSet::new();
    for line in seen.iter().filter(|l| l.contains("\"audit_id\"")) {
        let v: serde_json::Value = serde_json::from_str(line).expect(line);
        let org = v["span"]["org"]
            .as_str()
            .unwrap_or_else(|| panic!("{line}"));
        orgs.insert(org.to_string());
    }
    assert_eq!(orgs.len(), 2, "{seen:?}");
    std::fs::remove_dir_all(&dir).ok();
}
