//! `scopewatch audit`: one audit now, the report to stdout or a file, `--fail-on` for CI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;

use super::CliError;
use crate::audit::policy::AuditPolicy;
use crate::audit::report::{Report, RiskLevel};
use crate::auditor::{assess, new_audit_id, org_client_config};
use crate::config::Settings;
use crate::demo::{self, DemoError};
use crate::genesys::{GenesysClient, NoObserver, Progress};
use crate::render::{Format, render};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Audit a built-in simulated organization (no credentials needed).
    #[arg(long)]
    pub demo: bool,
    /// TOML file with the same keys as the environment variables (the environment wins).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Policy file (overrides SCOPEWATCH_POLICY; default: the built-in policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Indent the JSON report for people (default: compact, the bytes `serve` stores and serves).
    #[arg(long)]
    pub pretty: bool,
    /// Exit 1 when a client is at or above this risk level (exit 2: bad configuration,
    /// exit 3: the audit could not run).
    #[arg(long, value_parser = parse_level)]
    pub fail_on: Option<RiskLevel>,
}

fn parse_level(text: &str) -> Result<RiskLevel, CliError> {
    match RiskLevel::parse(text) {
        Some(RiskLevel::None) | None => Err(CliError::Invalid(format!(
            "'{text}' is not one of critical, high, medium, low"
        ))),
        Some(level) => Ok(level),
    }
}

/// How many clients are at or above `level` (`--fail-on` is met when any is).
pub(super) fn at_or_above(report: &Report, level: RiskLevel) -> usize {
    report
        .clients
        .iter()
        .filter(|c| c.risk_level >= level)
        .count()
}

/// The one line `--fail-on` prints to stderr when it sets exit status 1.
pub(super) fn fail_on_line(count: usize, level: RiskLevel) -> String {
    let noun = if count == 1 { "client" } else { "clients" };
    format!("{count} {noun} at or above {}", level.as_str())
}

/// Runs the audit; `Ok(true)` when `--fail-on` is met.
pub async fn run_audit(args: AuditArgs, env: &BTreeMap<String, String>) -> Result<bool, CliError> {
    let settings = Settings::load(env, args.config.as_deref())?;
    let policy_path = args
        .policy
        .clone()
        .or(settings.policy_path.clone().map(PathBuf::from));
    let policy = AuditPolicy::load(policy_path.as_deref())?;
    // With --demo, the simulated org runs until the audit is written.
    let (org, _demo) = if args.demo {
        let (mut orgs, running) = demo::start(1).await.map_err(|e| match e {
            DemoError::NotBuilt => CliError::Invalid(e.to_string()),
            DemoError::Start(_) => CliError::failed("cannot start the demo organization", e),
        })?;
        (orgs.remove(0), Some(running))
    } else {
        (settings.single_org()?, None)
    };
    let config = org_client_config(&settings, &org, &policy);
    let login_host = config.login_base_url.clone();
    let client = GenesysClient::new(config, Arc::new(NoObserver))
        .map_err(|e| CliError::failed("cannot build the Genesys client", e))?;

    // A progress line on stderr when the collection takes more than a moment.
    let stage = Arc::new(Mutex::new(format!("logging in at {login_host}")));
    let ticker_stage = stage.clone();
    let ticker = tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let now = ticker_stage.lock().map(|s| s.clone()).unwrap_or_default();
            eprintln!("scopewatch: {now} ({}s)", started.elapsed().as_secs());
        }
    });
    let progress = move |what: &str| {
        if let Ok(mut s) = stage.lock() {
            *s = what.to_string();
        }
    };
    let result = audit_with(&client, &policy, &progress).await;
    ticker.abort();
    let report = result?;

    let failing = args
        .fail_on
        .map(|level| (at_or_above(&report, level), level))
        .filter(|(count, _)| *count > 0);
    let written = write(&report, &args);
    // The process ends next: freeing a large report block by block costs more than writing it
    // (13% of the audit's CPU at 10 000 clients, measured with perf); the pages go back at exit.
    std::mem::forget(report);
    written?;
    if let Some((count, level)) = failing {
        eprintln!("{}", fail_on_line(count, level));
    }
    Ok(failing.is_some())
}

/// Logs in (so that the progress line says so while it does), then audits.
async fn audit_with(
    client: &GenesysClient,
    policy: &AuditPolicy,
    progress: &Progress,
) -> Result<Report, CliError> {
    client
        .log_in()
        .await
        .map_err(|e| CliError::failed("audit failed", e))?;
    let started_at = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
    assess(
        client,
        policy,
        new_audit_id(started_at),
        started_at,
        None,
        progress,
    )
    .await
    .map_err(|e| CliError::failed("audit failed", e))
}

fn write(report: &Report, args: &AuditArgs) -> Result<(), CliError> {
    if args.format == Format::Json {
        // Streamed: a 100 000-client report is hundreds of megabytes as one string.
        return write_json(report, args.output.as_deref(), args.pretty);
    }
    let text = render(report, args.format);
    match &args.output {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| CliError::failed(format!("cannot write {}", path.display()), e)),
        None => super::write_stdout(&format!("{text}\n")),
    }
}

/// Writes go out in pieces this large (the report is tens or hundreds of megabytes).
const WRITE_BUFFER: usize = 1 << 20;

/// The JSON report to a file (as is) or stdout (with a final newline), written as serialized.
fn write_json(report: &Report, output: Option<&Path>, pretty: bool) -> Result<(), CliError> {
    use std::io::Write;
    match output {
        Some(path) => std::fs::File::create(path)
            .and_then(|file| {
                let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
                report.write_json(&mut out, pretty)?;
                out.flush()
            })
            .map_err(|e| CliError::failed(format!("cannot write {}", path.display()), e)),
        None => {
            let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, std::io::stdout().lock());
            report
                .write_json(&mut out, pretty)
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush())
                .map_err(|e| CliError::failed("cannot write to standard output", e))
        }
    }
}
