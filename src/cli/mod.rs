//! Command-line interface: the commands and their exit statuses.

mod audit;
mod healthcheck;
mod policy;
mod serve;
#[cfg(feature = "demo")]
mod sim;
#[cfg(feature = "demo")]
mod sim_orgs;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use audit::{AuditArgs, run_audit};
pub use healthcheck::{HealthcheckArgs, run_healthcheck};
pub use policy::{PolicyArgs, run_policy};
pub use serve::{ServeArgs, run_serve};
#[cfg(feature = "demo")]
pub use sim::{SimArgs, sim_org};
#[cfg(feature = "demo")]
pub use sim_orgs::run_sim;

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
    #[cfg(feature = "demo")]
    Sim(Box<SimArgs>),
    /// Work with policy files.
    Policy(PolicyArgs),
    /// Exit 0 when the local service answers /healthz (container HEALTHCHECK).
    Healthcheck(HealthcheckArgs),
}

/// What went wrong underneath a failure (an I/O, HTTP or simulator error).
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A failure of a command: exit 2 for bad input or configuration, exit 3 when the work could
/// not be done (upstream failure, I/O). Exit 1 is kept for `--fail-on`.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Start(#[from] crate::app::StartError),
    #[error(transparent)]
    Policy(#[from] crate::audit::policy_file::PolicyError),
    #[error(transparent)]
    Orgs(#[from] crate::orgs_file::OrgsFileError),
    #[error("org '{org}': policy {file}")]
    OrgPolicy {
        org: String,
        file: String,
        #[source]
        source: crate::audit::policy_file::PolicyError,
    },
    /// An argument or input the command cannot use, described (nothing failed underneath).
    #[error("{0}")]
    Invalid(String),
    /// The work could not be done: what was being done, and why it failed.
    #[error("{doing}")]
    Failed {
        doing: String,
        #[source]
        cause: Cause,
    },
    #[error("{url} answered {status}")]
    Unhealthy {
        url: String,
        status: reqwest::StatusCode,
    },
}

impl CliError {
    /// A failure while `doing` something, because of `cause`.
    pub fn failed(doing: impl Into<String>, cause: impl Into<Cause>) -> CliError {
        CliError::Failed {
            doing: doing.into(),
            cause: cause.into(),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        let usage = match self {
            CliError::Config(_)
            | CliError::Policy(_)
            | CliError::Orgs(_)
            | CliError::OrgPolicy { .. }
            | CliError::Invalid(_) => true,
            CliError::Start(e) => e.is_config(),
            CliError::Failed { .. } | CliError::Unhealthy { .. } => false,
        };
        ExitCode::from(if usage { 2 } else { 3 })
    }

    /// The one line printed after `error: `: the failure and its causes.
    pub fn message(&self) -> String {
        genesys_api::text::with_causes(self)
    }
}

/// Writes `text` to stdout. A closed pipe (`| head -1`) or a full disk is a one-line error,
/// never a panic.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::failed("cannot write to standard output", e))
}

/// Resolves on SIGINT or SIGTERM.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    // Registered now, not when first polled: a caller that announces its address before it
    // waits must not die of a SIGTERM sent in between (the default action ends the process).
    #[cfg(unix)]
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let mut interrupt =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match terminate.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match interrupt.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            };
            tokio::select! {
                _ = term => {},
                _ = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::app::StartError;
    use crate::store::StoreError;

    fn code(e: &CliError) -> String {
        format!("{:?}", e.exit_code())
    }

    #[test]
    fn an_error_prints_its_causes_on_one_line_and_exits_by_kind() {
        let env = BTreeMap::from([(
            "SCOPEWATCH_API_TOKEN_FILE".to_string(),
            "/nonexistent/token".to_string(),
        )]);
        let config = CliError::from(crate::config::Settings::load(&env, None).unwrap_err());
        let line = config.message();
        assert!(
            line.starts_with(
                "SCOPEWATCH_API_TOKEN_FILE '/nonexistent/token': cannot read the file: "
            ),
            "{line}"
        );
        assert!(line.len() > "...cannot read the file: ".len() && !line.contains('\n'));
        assert_eq!(code(&config), format!("{:?}", ExitCode::from(2)));

        let io = CliError::failed("cannot write x", std::io::Error::other("disk full"));
        assert_eq!(io.message(), "cannot write x: disk full");
        assert_eq!(code(&io), format!("{:?}", ExitCode::from(3)));
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let store = StoreError::Query {
            operation: "insert",
            source: sqlx::Error::PoolTimedOut,
        };
        let cause = sqlx::Error::PoolTimedOut.to_string();
        let e = CliError::from(StartError::Database(store));
        let line = e.message();
        assert_eq!(
            line,
            format!("SCOPEWATCH_DATABASE_URL: database error during insert: {cause}")
        );
        assert_eq!(code(&e), format!("{:?}", ExitCode::from(2)));
    }
}
