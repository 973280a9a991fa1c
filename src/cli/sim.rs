//! `scopewatch sim`: the Genesys Cloud simulator as its own server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use clap::Args;

use super::{CliError, shutdown_signal};
use crate::duration::parse_duration;
use scopewatch_sim::{self as sim, FaultConfig, Org, OrgSize, SimSettings};

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (login and API paths).
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// Number of OAuth clients to generate (besides the auditor's own).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub clients: u32,
    /// Number of roles to generate (at least the 5 notable ones are always there).
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub roles: u32,
    /// Seed of the generator: the same seed and anchor date give the same org.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Day the generated dates and usage are relative to (YYYY-MM-DD; default today, UTC).
    #[arg(long, value_parser = parse_date)]
    pub anchor_date: Option<NaiveDate>,
    /// Load the org from this JSON file (the format --dump-org writes) instead of generating one.
    #[arg(long, conflicts_with_all = ["clients", "roles", "seed", "anchor_date"])]
    pub org: Option<PathBuf>,
    /// Write the org (generated or loaded, with the auditor client) to this file and exit.
    #[arg(long)]
    pub dump_org: Option<PathBuf>,
    /// The auditor's own client id (made up and printed when absent).
    #[arg(long, env = "GENESYS_OAUTH_CLIENT_ID")]
    pub client_id: Option<String>,
    /// The auditor's own client secret (made up and printed when absent).
    #[arg(long, env = "GENESYS_OAUTH_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Adds a client-credentials client that may create, edit and delete OAuth clients (to
    /// change the org while it serves), given as ID:SECRET.
    #[arg(long, value_name = "ID:SECRET")]
    pub operator: Option<String>,
    /// Requests allowed per token per minute before 429.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: u32,
    /// Polls of a usage query answered `Running` before `Complete`.
    #[arg(long, default_value_t = 1)]
    pub usage_running_polls: u32,
    /// Polls of an audit query answered `Running` before `Succeeded`.
    #[arg(long, default_value_t = 1)]
    pub audit_running_polls: u32,
    /// Page the client listing with this page size (today's API returns one page).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub client_page_size: Option<u32>,
    /// Pad the API description (`/api/v2/docs/swagger`) to this many MiB, as large as the real
    /// one (tens of MB); 0 serves only the fields scopewatch reads.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1024))]
    pub description_mb: u32,
    /// Fault: latency added to every answer (e.g. 200ms, 2s).
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    pub latency: Duration,
    /// Fault: fraction of API calls answered 503 (0 to 1).
    #[arg(long, value_parser = parse_rate, default_value_t = 0.0)]
    pub fault_5xx_rate: f64,
    /// Fault: fraction of API calls answered with a malformed body (0 to 1).
    #[arg(long, value_parser = parse_rate, default_value_t = 0.0)]
    pub fault_malformed_rate: f64,
    /// Fault: fraction of API calls whose connection drops before the body (0 to 1).
    #[arg(long, value_parser = parse_rate, default_value_t = 0.0)]
    pub fault_drop_rate: f64,
    /// Fault: answer every API call 429 for this long after start (e.g. 30s).
    #[arg(long, value_parser = parse_duration)]
    pub fault_429_storm: Option<Duration>,
    /// Retry-After seconds sent during a 429 storm.
    #[arg(long, default_value_t = 5)]
    pub fault_retry_after: u64,
    /// Fault: revoke every token issued so far after this many API calls.
    #[arg(long)]
    pub fault_revoke_after: Option<u64>,
    /// Fault: refuse an endpoint as if the auditor lacked its permission (403; the API
    /// description and `usage-jobs`, the usage jobs API, answer 404 as if absent, so the older
    /// usage query is used), from the start; repeatable. The benchmark denies `audits` and
    /// `swagger` to time the audit without the trail and the live catalog.
    #[arg(long, value_parser = [
        "clients", "roles", "usage", "usage-jobs", "scopes", "swagger", "audits", "divisions",
        "users", "organization", "authorizations",
    ])]
    pub deny: Vec<String>,
    /// On shutdown, write every request served (method, path, status, ms after the first
    /// request, ms to answer; tab-separated, one a line) to this file, so a harness can count
    /// upstream calls by endpoint and see the critical path.
    #[arg(long)]
    pub request_log: Option<PathBuf>,
    /// Serve this many generated orgs on the one address, each with its own clients, roles,
    /// trail, usage and auditor credentials (the login's client and then the token decide the
    /// org); --clients and --roles are per org; org i is generated from --seed + i - 1 when its
    /// auditor first logs in (at most 256 stay generated; the least recently used is generated
    /// again when needed). --client-id and --client-secret do not apply.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=crate::orgs_file::MAX_ORGS as i64),
        conflicts_with_all = ["org", "dump_org", "operator", "fault_429_storm", "fault_revoke_after"])]
    pub orgs: Option<u32>,
    /// With --orgs: write a SCOPEWATCH_ORGS_FILE naming every org (org-0001...) with its
    /// auditor client id and the simulator's address; the secrets go to files 0600 in the
    /// directory PATH.secrets, which the orgs file names.
    #[arg(long, value_name = "PATH", requires = "orgs")]
    pub orgs_file_out: Option<PathBuf>,
}

fn parse_date(text: &str) -> Result<NaiveDate, CliError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| CliError::Invalid(format!("'{text}' is not a date of the form YYYY-MM-DD")))
}

fn parse_rate(text: &str) -> Result<f64, CliError> {
    match text.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(CliError::Invalid(format!(
            "'{text}' is not a fraction between 0 and 1"
        ))),
    }
}

/// Builds the org `scopewatch sim` serves, with the auditor client in it. Returns the org and
/// whether the credentials were made up (and must be printed).
pub fn sim_org(args: &SimArgs) -> Result<(Org, String, String, bool), CliError> {
    let mut org = match &args.org {
        Some(path) => {
            Org::load(path).map_err(|e| CliError::Invalid(genesys_api::text::with_causes(&e)))?
        }
        None => sim::generate(&OrgSize {
            clients: args.clients as usize,
            roles: args.roles as usize,
            seed: args.seed,
            anchor: args
                .anchor_date
                .unwrap_or_else(|| chrono::Utc::now().date_naive()),
        }),
    };
    let made_up = args.client_id.is_none() || args.client_secret.is_none();
    let client_id = args
        .client_id
        .clone()
        .unwrap_or_else(|| "scopewatch-auditor".to_string());
    let secret = args.client_secret.clone().unwrap_or_else(sim::random_token);
    if client_id.trim().is_empty() {
        return Err(CliError::Invalid("--client-id must not be empty".into()));
    }
    org.ensure_auditor(&client_id, &secret);
    if let Some(operator) = &args.operator {
        let Some((id, operator_secret)) = operator
            .split_once(':')
            .filter(|(id, secret)| !id.trim().is_empty() && !secret.is_empty())
        else {
            return Err(CliError::Invalid(
                "--operator must be ID:SECRET with both parts non-empty".into(),
            ));
        };
        if id == client_id {
            return Err(CliError::Invalid(
                "--operator must not take the auditor's --client-id".into(),
            ));
        }
        if org.clients.iter().any(|c| c.client.id == id) {
            return Err(CliError::Invalid(format!(
                "--operator '{id}' is already a client of the org"
            )));
        }
        org.add_operator(id, operator_secret);
    }
    Ok((org, client_id, secret, made_up))
}

/// `scopewatch sim` with one org (`--orgs` is `sim_orgs`'s).
pub(super) async fn run_one(args: SimArgs) -> Result<(), CliError> {
    let (org, client_id, secret, made_up) = sim_org(&args)?;
    if let Some(path) = &args.dump_org {
        // The simulator's message names the file already.
        org.dump(path)
            .map_err(|e| CliError::failed("--dump-org", e))?;
        println!(
            "wrote org with {} clients to {}",
            org.clients.len(),
            path.display()
        );
        return Ok(());
    }
    let (settings, faults) = settings_and_faults(&args);
    let clients = org.clients.len();
    let running = sim::start(org, settings, faults, args.listen)
        .await
        .map_err(|e| CliError::failed(format!("cannot listen on {}", args.listen), e))?;
    for endpoint in &args.deny {
        running.faults().deny(endpoint);
    }
    if let Some(storm) = args.fault_429_storm {
        let until =
            running.clock().now() + chrono::Duration::milliseconds(storm.as_millis() as i64);
        running
            .faults()
            .rate_limit_storm_until(until, args.fault_retry_after);
    }
    if let Some(n) = args.fault_revoke_after {
        running.faults().revoke_tokens_after(n);
    }
    // Listening for SIGTERM before the address is announced: a caller may stop it at once.
    let stop = shutdown_signal();
    println!(
        "scopewatch sim: {clients} clients on {} (login and API)",
        running.base_url()
    );
    if made_up {
        println!("auditor client id: {client_id}");
        println!("auditor client secret: {secret}");
    }
    stop.await;
    let log = args
        .request_log
        .as_ref()
        .map(|path| (path, running.requests()));
    running.stop().await;
    if let Some((path, requests)) = log {
        write_request_log(path, &requests)?;
    }
    Ok(())
}

/// The simulator's tunables and standing faults from the flags.
pub(super) fn settings_and_faults(args: &SimArgs) -> (SimSettings, FaultConfig) {
    let faults = FaultConfig {
        latency: args.latency,
        server_error_rate: args.fault_5xx_rate,
        malformed_rate: args.fault_malformed_rate,
        drop_rate: args.fault_drop_rate,
    };
    let settings = SimSettings {
        rate_limit_per_minute: args.rate_limit,
        usage_running_polls: args.usage_running_polls,
        audit_running_polls: args.audit_running_polls,
        client_page_size: args.client_page_size.map(|n| n as usize),
        description_bytes: args.description_mb as usize * (1 << 20),
        ..SimSettings::default()
    };
    (settings, faults)
}

/// Writes `--request-log`.
pub(super) fn write_request_log(
    path: &std::path::Path,
    requests: &[sim::RequestRecord],
) -> Result<(), CliError> {
    // Method, path, status, then when it arrived (ms after the first request) and how long it
    // took to answer (ms): a harness reads the calls and the critical path.
    let first = requests.iter().map(|r| r.at).min();
    let lines: String = requests
        .iter()
        .map(|r| {
            let since = first.map_or(0.0, |f| r.at.duration_since(f).as_secs_f64() * 1e3);
            let took = r.took.as_secs_f64() * 1e3;
            format!(
                "{}\t{}\t{}\t{since:.1}\t{took:.1}\n",
                r.method, r.path, r.status
            )
        })
        .collect();
    std::fs::write(path, lines).map_err(|e| {
        CliError::failed(
            format!("cannot write the request log {}", path.display()),
            e,
        )
    })
}
