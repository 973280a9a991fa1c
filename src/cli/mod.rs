//! Command-line interface: the commands of SPEC §2 and their exit statuses.

mod audit;
mod healthcheck;
mod policy;
mod serve;
mod sim;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use audit::{AuditArgs, run_audit};
pub use healthcheck::{HealthcheckArgs, run_healthcheck};
pub use policy::{PolicyArgs, run_policy};
pub use serve::{ServeArgs, run_serve};
pub use sim::{SimArgs, run_sim, sim_org};

#[derive(Debug, Parser)]
#[command(
    name = "scopewatch",
    version,
    about = "Audits the OAuth clients of a Genesys Cloud organization"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: scheduled audits, the HTTP API and metrics.
    #[command(
        after_help = "Configuration is read from the environment (README, Configuration): one org from \
GENESYS_OAUTH_CLIENT_ID and GENESYS_OAUTH_CLIENT_SECRET (with GENESYS_REGION), or several from \
SCOPEWATCH_ORGS_FILE, a TOML file of [[org]] entries (name, region or base URLs, client_id, \
client_secret_file or client_secret_env, optional interval and policy), served under \
/orgs/{org}/...; `scopewatch policy check --orgs FILE` checks it."
    )]
    Serve(ServeArgs),
    /// Run one audit now and print the report (exit 1 when --fail-on is met).
    Audit(AuditArgs),
    /// Serve a simulated Genesys Cloud organization (login and API on one address).
    Sim(Box<SimArgs>),
    /// Work with policy files.
    Policy(PolicyArgs),
    /// Exit 0 when the local service answers /healthz (container HEALTHCHECK).
    Healthcheck(HealthcheckArgs),
}

/// A failure of a command: `Usage` exits 2 (bad input or configuration), `Failed` exits 3
/// (the work could not be done: upstream failure, I/O). Exit 1 is kept for `--fail-on`.
#[derive(Debug)]
pub enum CliError {
    Usage(String),
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Failed(_) => ExitCode::from(3),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            CliError::Usage(m) | CliError::Failed(m) => m,
        }
    }
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        CliError::Usage(with_causes(&e))
    }
}

/// An error's message followed by each of its causes, on one line (`cannot read the file: No
/// such file or directory`).
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        line.push_str(": ");
        line.push_str(&e.to_string());
        cause = e.source();
    }
    line
}

/// Writes `text` to stdout. A closed pipe (`| head -1`) or a full disk is a one-line error,
/// never a panic.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::Failed(format!("cannot write to standard output: {e}")))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}
