//! `scopewatch policy check FILE`: validates a policy and prints the effective rule set;
//! `scopewatch policy check --orgs ORGS_FILE` validates an orgs file and every org's policy.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CliError;
use crate::audit::policy::AuditPolicy;
use crate::orgs_file;

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file and print the effective rule set; or, with --orgs, validate an
    /// orgs file (SCOPEWATCH_ORGS_FILE) and the policy each org names (secrets are checked to be
    /// named, not read).
    Check {
        /// The policy file (TOML).
        #[arg(required_unless_present = "orgs", conflicts_with = "orgs")]
        file: Option<PathBuf>,
        /// An orgs file ([[org]] entries) to validate instead.
        #[arg(long)]
        orgs: Option<PathBuf>,
    },
}

pub fn run_policy(args: PolicyArgs) -> Result<(), CliError> {
    match args.command {
        PolicyCommand::Check {
            file: Some(file), ..
        } => {
            let policy = AuditPolicy::load(Some(&file))?;
            let mut out = policy.describe();
            let today = chrono::Utc::now().date_naive();
            let expired: Vec<_> = policy.expired_waivers(today).collect();
            for w in &expired {
                out.push_str(&format!(
                    "EXPIRED waiver: {} on {} ended {}: it suppresses nothing; audits report expired-waiver\n",
                    w.rule,
                    w.target(),
                    w.expires
                ));
            }
            super::write_stdout(&out)?;
            if !expired.is_empty() {
                eprintln!(
                    "warning: {} waiver(s) in {} already expired",
                    expired.len(),
                    file.display()
                );
            }
            Ok(())
        }
        PolicyCommand::Check {
            orgs: Some(orgs), ..
        } => check_orgs(&orgs),
        PolicyCommand::Check { .. } => Err(CliError::Invalid(
            "policy check needs a policy file or --orgs ORGS_FILE".into(),
        )),
    }
}

/// Every org of an orgs file, and the policy file each names, checked; one line per org.
fn check_orgs(path: &std::path::Path) -> Result<(), CliError> {
    let orgs = orgs_file::load_with(path, &Default::default(), orgs_file::Secrets::NamedOnly)?;
    let mut out = String::new();
    for org in &orgs {
        let policy = match &org.policy {
            Some(file) => {
                let policy =
                    AuditPolicy::load(Some(std::path::Path::new(file))).map_err(|source| {
                        CliError::OrgPolicy {
                            org: org.name.clone(),
                            file: file.clone(),
                            source,
                        }
                    })?;
                let on = crate::audit::rules::all_meta()
                    .filter(|m| policy.enabled(m.id))
                    .count();
                format!("policy {file} ({on} rules on, sha256 {})", policy.sha256)
            }
            None => "the deployment's policy (SCOPEWATCH_POLICY or built in)".to_string(),
        };
        out.push_str(&format!(
            "org {}: {} ({}), {}\n",
            org.name, org.region, org.api_base_url, policy
        ));
    }
    out.push_str(&format!("{} orgs, all valid\n", orgs.len()));
    super::write_stdout(&out)
}
