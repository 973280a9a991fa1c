//! `scopewatch policy check FILE`: validates a policy and prints the effective rule set.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CliError;
use crate::audit::policy::AuditPolicy;

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file and print the effective rule set.
    Check {
        /// The policy file (TOML).
        file: PathBuf,
    },
}

pub fn run_policy(args: PolicyArgs) -> Result<(), CliError> {
    match args.command {
        PolicyCommand::Check { file } => {
            let policy =
                AuditPolicy::load(Some(&file)).map_err(|e| CliError::Usage(e.to_string()))?;
            super::write_stdout(&policy.describe())?;
            Ok(())
        }
    }
}
