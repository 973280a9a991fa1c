//! `scopewatch audit`: one audit now, the report to stdout or a file, `--fail-on` for CI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;

use super::CliError;
use crate::audit::policy::AuditPolicy;
use crate::audit::report::{Report, RiskLevel};
use crate::auditor::{assess, client_config, new_audit_id};
use crate::config::Settings;
use crate::genesys::{GenesysClient, NoObserver};
use crate::render::{Format, render};

#[derive(Debug, Args)]
pub struct AuditArgs {
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

/// Whether any client's risk is at or above `level`.
pub(super) fn fails(report: &Report, level: RiskLevel) -> bool {
    report.clients.iter().any(|c| c.risk_level >= level)
}

/// Runs the audit; `Ok(true)` when `--fail-on` is met.
pub async fn run_audit(args: AuditArgs, env: &BTreeMap<String, String>) -> Result<bool, CliError> {
    let settings = Settings::load(env, args.config.as_deref())?;
    let policy_path = args
        .policy
        .clone()
        .or(settings.policy_path.clone().map(PathBuf::from));
    let policy = AuditPolicy::load(policy_path.as_deref())?;
    let config = client_config(&settings, &policy)?;
    let client = GenesysClient::new(config, Arc::new(NoObserver))
        .map_err(|e| CliError::failed("cannot build the Genesys client", e))?;

    // A progress line on stderr when the collection takes more than a moment.
    let stage = Arc::new(Mutex::new(String::from("starting")));
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
    let started_at = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
    let result = assess(
        &client,
        &policy,
        new_audit_id(started_at),
        started_at,
        None,
        &progress,
    )
    .await;
    ticker.abort();
    let report = result.map_err(|e| CliError::failed("audit failed", e))?;

    let failed = args.fail_on.is_some_and(|level| fails(&report, level));
    let written = write(&report, &args);
    // The process ends next: freeing a large report block by block costs more than writing it
    // (13% of the audit's CPU at 10 000 clients, measured with perf); the pages go back at exit.
    std::mem::forget(report);
    written.map(|()| failed)
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
