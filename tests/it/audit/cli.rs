use std::process::{Command, Output};

use scopewatch_sim::SimSettings;

use super::*;

/// `scopewatch audit ARGS` against the simulator, with only the variables it needs.
fn audit_command(sim: &RunningSim, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scopewatch"));
    cmd.arg("audit")
        .args(args)
        .env_clear()
        .env("GENESYS_OAUTH_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_OAUTH_CLIENT_SECRET", SECRET)
        .env("GENESYS_API_BASE_URL", sim.base_url())
        .env("GENESYS_LOGIN_BASE_URL", sim.base_url());
    cmd
}

fn audit(sim: &RunningSim, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut cmd = audit_command(sim, args);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Whether `line` is the progress line `scopewatch audit` prints every 2 s while it collects
/// (`scopewatch: reading roles (4s)`): on a loaded machine one may come before an error.
fn is_progress(line: &str) -> bool {
    line.strip_prefix("scopewatch: ")
        .and_then(|rest| rest.strip_suffix("s)"))
        .and_then(|rest| rest.rsplit_once(" ("))
        .is_some_and(|(_, secs)| !secs.is_empty() && secs.bytes().all(|b| b.is_ascii_digit()))
}

/// The error stderr ends with: every line after the progress lines, which must all come
/// before it (an error spread over several lines comes back as several).
fn error_lines(stderr: &str) -> Vec<&str> {
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    let first = lines
        .iter()
        .position(|l| !is_progress(l))
        .unwrap_or(lines.len());
    lines[first..].to_vec()
}

#[test]
fn progress_lines_are_told_apart_from_an_error_on_several_lines() {
    let stderr = "scopewatch: reading OAuth clients (2s)\nscopewatch: reading roles (4s)\nerror: cannot write to standard output: No space left on device (os error 28)\n";
    assert_eq!(
        error_lines(stderr),
        ["error: cannot write to standard output: No space left on device (os error 28)"]
    );
    // Progress after the error's first line is part of no error: the error is two lines.
    let spread = "error: cannot write\nscopewatch: reading roles (4s)\n";
    assert_eq!(error_lines(spread).len(), 2);
    let spread = "scopewatch: starting (2s)\nerror: cannot write\nto standard output (4s)\n";
    assert_eq!(error_lines(spread).len(), 2);
    assert!(!is_progress("scopewatch: cannot write (disk full)"));
    assert!(!is_progress("error: scopewatch: reading roles (4s)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_prints_json_and_fail_on_sets_the_exit_status() {
    let sim = start_sim_with(generated_org(60, 10), SimSettings::default()).await;
    let out = audit(&sim, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["total_clients"], 61);
    let has_critical = report["summary"]["by_risk_level"]["CRITICAL"]
        .as_u64()
        .unwrap()
        > 0;
    assert!(has_critical, "the generated org has critical clients");
    assert_eq!(
        audit(&sim, &["--fail-on", "critical"], &[]).status.code(),
        Some(1)
    );
    let bad = audit(&sim, &["--fail-on", "urgent"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).1.contains("--fail-on"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_writes_csv_table_sarif_and_terraform() {
    let sim = start_sim_with(generated_org(30, 10), SimSettings::default()).await;
    let dir = std::env::temp_dir().join(format!("sw-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("r.csv");
    let out = audit(
        &sim,
        &["--format", "csv", "--output", csv.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let csv = std::fs::read_to_string(csv).unwrap();
    assert!(csv.starts_with("client_id,client_name,grant_type,is_public,total_scopes,flagged_scopes,risk_level,risk_score,findings,least_privilege,created_by,creator_state,changes,last_change,actions_performed,unreadable,compliance\n"));
    // The header, 31 clients, the generated org's three third-party apps with findings, and
    // the org's row (its IP allowlist is empty).
    assert_eq!(csv.lines().count(), 36);
    assert!(
        csv.lines().last().unwrap().starts_with("organization/"),
        "{csv}"
    );
    let apps: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains(",third-party app: "))
        .collect();
    assert_eq!(apps.len(), 3, "{csv}");
    assert!(
        apps.iter().all(|l| l.contains("third-party-app-access")),
        "{apps:?}"
    );
    let table = audit(&sim, &["--format", "table"], &[]);
    let table = text(&table).0;
    assert!(table.contains("31 clients:"));
    let plan = table.find("Fix first").expect("the plan");
    assert!(plan < table.find("RISK ").unwrap(), "{table}");
    let sarif = audit(&sim, &["--format", "sarif"], &[]);
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        25,
        "the 23 client rules, org-no-ip-allowlist and third-party-app-access"
    );
    let located: Vec<&serde_json::Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "org-no-ip-allowlist")
        .map(|r| &r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"])
        .collect();
    assert_eq!(located.len(), 1, "the org's finding is a result");
    assert!(
        located[0]
            .as_str()
            .unwrap()
            .starts_with("genesys-organization/")
    );
    let at_apps = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .is_some_and(|n| n.starts_with("third-party-app/"))
        })
        .count();
    assert_eq!(at_apps, 3, "one result per third-party app finding");
    let tf = audit(&sim, &["--format", "terraform"], &[]);
    assert_eq!(tf.status.code(), Some(0), "{:?}", text(&tf));
    let tf = text(&tf).0;
    assert!(tf.starts_with("# scopewatch: least-privilege remediation, audit "));
    assert!(tf.contains("resource \"genesyscloud_oauth_client\" \"scopewatch_"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_is_one_line_naming_the_variable_and_exit_2() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let out = audit(&sim, &[], &[("SCOPEWATCH_MAX_REQUESTS_PER_MINUTE", "many")]);
    assert_eq!(out.status.code(), Some(2));
    let (_, err) = text(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("SCOPEWATCH_MAX_REQUESTS_PER_MINUTE"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .arg("audit")
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("GENESYS_OAUTH_CLIENT_ID"));

    let out = audit(&sim, &["--policy", "/nonexistent/policy.toml"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("/nonexistent/policy.toml"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_failures_exit_3_with_the_reason_and_never_show_the_secret() {
    let sim = start_sim_with(generated_org(20, 5), SimSettings::default()).await;
    // Faults on, logs at their most talkative: the secret must appear nowhere.
    sim.faults().server_error_burst(2);
    sim.faults().revoke_tokens_after(3);
    let out = audit(&sim, &[], &[("RUST_LOG", "trace")]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("retrying Genesys call"),
        "the retries are logged"
    );
    assert_no_secret(&stdout);
    assert_no_secret(&stderr);

    sim.faults().deny("clients");
    let out = audit(&sim, &[], &[("RUST_LOG", "trace")]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr.contains("oauth:client:view"), "{stderr}");
    assert_no_secret(&format!("{stdout}{stderr}"));

    let out = audit(
        &sim,
        &[],
        &[("GENESYS_OAUTH_CLIENT_SECRET", "not-the-secret-xyz")],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(!stderr.contains("not-the-secret-xyz"));
}

#[test]
fn policy_check_prints_the_rule_set_or_names_the_bad_line() {
    let dir = std::env::temp_dir().join(format!("sw-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policy.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args(["policy", "check", example])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("off no-description"), "{stdout}");
    assert!(
        stdout.contains("admin:*"),
        "the seed's list is expressible: {stdout}"
    );
    // The org-level waiver (scope = "org") and the secret age, as the example sets them.
    assert!(
        stdout.contains("waiver: org-no-ip-allowlist on the organization until 2027-03-31"),
        "{stdout}"
    );
    assert!(stdout.contains("secrets max 365 days old"), "{stdout}");
    assert!(stdout.contains("on  stale-client-secret"), "{stdout}");

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\n[rules.admin-rolez]\nenabled = false\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args(["policy", "check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("line 2") && stderr.contains("admin-rolez"),
        "{stderr}"
    );
}

#[test]
fn serve_help_names_the_orgs_file_and_the_demo_orgs() {
    let out = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let (stdout, _) = text(&out);
    assert!(out.status.success());
    for needle in [
        "SCOPEWATCH_ORGS_FILE",
        "[[org]]",
        "--orgs <ORGS>",
        "policy check --orgs",
    ] {
        assert!(stdout.contains(needle), "{needle} in {stdout}");
    }
}

/// `scopewatch policy check --orgs FILE`.
fn check_orgs(file: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args(["policy", "check", "--orgs"])
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn policy_check_validates_an_orgs_file_and_each_orgs_policy_without_reading_secrets() {
    let dir = std::env::temp_dir().join(format!("sw-orgs-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policy.toml");
    let orgs = dir.join("orgs.toml");
    std::fs::write(
        &orgs,
        format!(
            "[[org]]\nname = \"acme\"\nregion = \"mypurecloud.de\"\nclient_id = \"a\"\nclient_secret_env = \"NOT_SET_HERE\"\npolicy = \"{example}\"\n\n\
             [[org]]\nname = \"globex\"\nregion = \"mypurecloud.jp\"\nclient_id = \"g\"\nclient_secret_file = \"/run/secrets/globex\"\n"
        ),
    )
    .unwrap();
    let out = check_orgs(&orgs);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("org acme: mypurecloud.de") && stdout.contains("rules on"),
        "{stdout}"
    );
    assert!(stdout.contains("org globex: mypurecloud.jp"), "{stdout}");
    assert!(stdout.contains("2 orgs, all valid"), "{stdout}");

    // A bad policy named by an org, and a bad key, are one line naming the org.
    let bad_policy = dir.join("bad.toml");
    std::fs::write(
        &bad_policy,
        "name = \"x\"\n[rules.admin-rolez]\nenabled = false\n",
    )
    .unwrap();
    std::fs::write(
        &orgs,
        format!(
            "[[org]]\nname = \"acme\"\nregion = \"mypurecloud.de\"\nclient_id = \"a\"\nclient_secret_env = \"X\"\npolicy = \"{}\"\n",
            bad_policy.display()
        ),
    )
    .unwrap();
    let out = check_orgs(&orgs);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("org 'acme': policy") && stderr.contains("admin-rolez"),
        "{stderr}"
    );
    std::fs::write(
        &orgs,
        "[[org]]\nname = \"acme\"\nregoin = \"mypurecloud.de\"\n",
    )
    .unwrap();
    let out = check_orgs(&orgs);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 3") && stderr.contains("regoin"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writing_the_report_to_a_full_disk_or_closed_pipe_is_a_one_line_error() {
    use std::io::Read;
    use std::process::Stdio;

    // Enough clients that the CSV outgrows a pipe's buffer.
    let sim = start_sim_with(generated_org(3_000, 10), SimSettings::default()).await;
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = audit_command(&sim, &["--format", "csv"])
        .stdout(full)
        .output()
        .unwrap();
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let error = error_lines(&err);
    assert_eq!(error.len(), 1, "{err}");
    assert!(
        error[0].contains("cannot write to standard output"),
        "{err}"
    );

    // `| head -c 100`: the reader goes away after a few bytes.
    let mut child = audit_command(&sim, &["--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    let out = child.wait_with_output().unwrap();
    let (_, err) = text(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("Broken pipe"), "{err}");
}

#[test]
fn a_non_utf8_variable_of_ours_exits_2_naming_it_never_its_value() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    let secret = OsString::from_vec(b"s3cr3t-\xff-tail-value".to_vec());
    let out = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .arg("audit")
        .env_clear()
        .env("GENESYS_OAUTH_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_OAUTH_CLIENT_SECRET", &secret)
        .output()
        .unwrap();
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("GENESYS_OAUTH_CLIENT_SECRET"), "{err}");
    assert!(
        !err.contains("tail-value") && !err.contains("s3cr3t"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // Somebody else's variable with a stray byte is none of scopewatch's business.
    let policy = std::env::temp_dir().join(format!("sw-utf8-{}.toml", std::process::id()));
    std::fs::write(&policy, "name = \"p\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args(["policy", "check"])
        .arg(&policy)
        .env(
            "SOME_OTHER_TOOL_SETTING",
            OsString::from_vec(b"\xfe\xff".to_vec()),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
}

/// `audit` writes the compact JSON `serve` stores (to a file as is, to stdout with a newline);
/// `--pretty` indents the same document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_json_is_compact_unless_pretty_is_asked() {
    let sim = start_sim_with(generated_org(40, 10), SimSettings::default()).await;
    let dir = std::env::temp_dir().join(format!("sw-audit-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("r.json");
    let out = audit(&sim, &["--output", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let compact = std::fs::read(&file).unwrap();
    assert!(!compact.contains(&b'\n'), "compact JSON has no line breaks");
    let report: scopewatch::audit::report::Report = serde_json::from_slice(&compact).unwrap();
    assert_eq!(report.summary.total_clients, 41);
    assert_eq!(
        report.to_json().as_bytes(),
        &compact[..],
        "the file is the report's own compact serialization"
    );

    let out = audit(&sim, &["--pretty"], &[]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(
        out.stdout
            .starts_with(b"{\n  \"report_version\": 2,\n  \"audit_id\"")
    );
    assert!(out.stdout.ends_with(b"}\n"));
    let pretty: scopewatch::audit::report::Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pretty.summary.total_clients, 41);
    assert_eq!(
        out.stdout,
        format!("{}\n", pretty.to_json_pretty()).into_bytes()
    );
    std::fs::remove_dir_all(&dir).ok();
}
